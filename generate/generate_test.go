package generate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
)

// counterLM predicts (last token + 1) mod vocab with a margin, and counts the
// tokens it has seen in its state.
type counterLM struct{ vocab int }

type counterState struct{ seen int }

func (s *counterState) Batch() int { return 1 }

func (m counterLM) VocabSize() int           { return m.vocab }
func (m counterLM) NewState(int) model.State { return &counterState{} }
func (m counterLM) Forward(tokens []int32, batch, seq int, st model.State) ([]float32, error) {
	out := make([]float32, seq*m.vocab)
	for t, tok := range tokens {
		out[t*m.vocab+(int(tok)+1)%m.vocab] = 5
	}
	st.(*counterState).seen += seq
	return out, nil
}

func TestGenerate(t *testing.T) {
	lm := counterLM{vocab: 8}
	cases := []struct {
		name string
		opt  Options
		want []int32
	}{
		{"greedy to limit", Options{MaxNewTokens: 4, EOS: -1}, []int32{3, 4, 5, 6}},
		{"greedy stops at eos", Options{MaxNewTokens: 10, EOS: 5}, []int32{3, 4, 5}},
		{"top-k 1 sampling is greedy", Options{MaxNewTokens: 3, Sample: true, Temperature: 1, TopK: 1, EOS: -1}, []int32{3, 4, 5}},
		{"vocab excludes padding", Options{MaxNewTokens: 7, EOS: -1, Vocab: 6}, []int32{3, 4, 5, 0, 1, 2, 3}},
	}
	for _, c := range cases {
		var streamed []int32
		got, err := Generate(lm, []int32{1, 2}, c.opt, func(tok int32) error { streamed = append(streamed, tok); return nil })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(got, c.want) || !slices.Equal(streamed, c.want) {
			t.Errorf("%s: got %v (streamed %v), want %v", c.name, got, streamed, c.want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	lm := counterLM{vocab: 8}
	for _, c := range []struct {
		name   string
		prompt []int32
		opt    Options
	}{
		{"empty prompt", nil, Options{MaxNewTokens: 1}},
		{"no tokens asked", []int32{1}, Options{}},
		{"zero temperature sampling", []int32{1}, Options{MaxNewTokens: 1, Sample: true}},
	} {
		if _, err := Generate(lm, c.prompt, c.opt, nil); err == nil {
			t.Errorf("%s: want an error", c.name)
		}
	}
}

// TestSampleDistribution draws many tokens from fixed logits and compares
// the frequencies with softmax(l/T) restricted to the top-k / top-p set.
func TestSampleDistribution(t *testing.T) {
	logits := []float32{2, 1, 0, -1, 3}
	softmax := func(T float64, keep []int) []float64 {
		p := make([]float64, len(logits))
		var sum float64
		for _, i := range keep {
			p[i] = math.Exp(float64(logits[i]) / T)
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		return p
	}
	cases := []struct {
		name string
		opt  Options
		want []float64
	}{
		{"T=1 all", Options{Temperature: 1}, softmax(1, []int{0, 1, 2, 3, 4})},
		{"T=0.5 all", Options{Temperature: 0.5}, softmax(0.5, []int{0, 1, 2, 3, 4})},
		{"top-k 2", Options{Temperature: 1, TopK: 2}, softmax(1, []int{4, 0})},
		// softmax(T=1): p4 0.636, p0 0.234, p1 0.086 …; 0.636 < 0.8 ≤ 0.870, so {4, 0} is kept.
		{"top-p 0.8", Options{Temperature: 1, TopP: 0.8}, softmax(1, []int{4, 0})},
	}
	const n = 200000
	for _, c := range cases {
		c.opt.Sample = true
		s := sampler{opt: c.opt, rng: rand.New(rand.NewPCG(1, 2))}
		counts := make([]float64, len(logits))
		for range n {
			counts[s.sample(logits)]++
		}
		for i := range counts {
			got := counts[i] / n
			// 5 standard errors of a binomial proportion.
			tol := 5*math.Sqrt(c.want[i]*(1-c.want[i])/n) + 1e-9
			if math.Abs(got-c.want[i]) > tol {
				t.Errorf("%s: token %d frequency %.4f, want %.4f ± %.4f", c.name, i, got, c.want[i], tol)
			}
		}
	}
}

func TestSampleSeeded(t *testing.T) {
	lm := counterLM{vocab: 16}
	opt := Options{MaxNewTokens: 20, Sample: true, Temperature: 3, Seed: 7, EOS: -1}
	a, _ := Generate(lm, []int32{0}, opt, nil)
	b, _ := Generate(lm, []int32{0}, opt, nil)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed gave %v and %v", a, b)
	}
}

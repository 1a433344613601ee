package eval

import (
	"fmt"
	"math"
	"regexp"

	"github.com/steady-ml/steady/model"
)

// fakeLM is a tiny causal LM whose logits at a position depend on every
// token up to it through a rolling hash, so truncation, padding, chunking
// and state handling all change the answer when they are wrong.
type fakeLM struct {
	vocab int
	calls int // Forward calls
	fed   int // tokens fed, padding included
}

type fakeState struct{ h []uint64 }

func (s *fakeState) Batch() int { return len(s.h) }

func (m *fakeLM) VocabSize() int { return m.vocab }

func (m *fakeLM) NewState(batch int) model.State {
	return &fakeState{h: make([]uint64, batch)}
}

func (m *fakeLM) Forward(tokens []int32, batch, seq int, state model.State) ([]float32, error) {
	if len(tokens) != batch*seq {
		return nil, fmt.Errorf("fake: %d tokens for (%d, %d)", len(tokens), batch, seq)
	}
	st, _ := state.(*fakeState)
	if st == nil {
		st = m.NewState(batch).(*fakeState)
	}
	m.calls++
	m.fed += len(tokens)
	out := make([]float32, batch*seq*m.vocab)
	for b := range batch {
		for s := range seq {
			tok := tokens[b*seq+s]
			if int(tok) >= m.vocab || tok < 0 {
				return nil, fmt.Errorf("fake: token %d out of range", tok)
			}
			st.h[b] = st.h[b]*1000003 + uint64(tok) + 1
			fakeLogits(out[(b*seq+s)*m.vocab:(b*seq+s+1)*m.vocab], st.h[b])
		}
	}
	return out, nil
}

func fakeLogits(dst []float32, h uint64) {
	for v := range dst {
		dst[v] = float32(3 * math.Sin(float64(h%9973)*0.37+float64(v)*1.3))
	}
}

// clonerLM adds CloneState to fakeLM.
type clonerLM struct{ *fakeLM }

func (c clonerLM) CloneState(s model.State) model.State {
	return &fakeState{h: append([]uint64(nil), s.(*fakeState).h...)}
}

// naiveScore scores a pair the slow way: the hash over the truncated input
// up to each continuation position, then log-softmax.
func naiveScore(vocab, maxLength int, p TokenPair) Scored {
	whole := append(append([]int32{}, p.Context...), p.Continuation...)
	if len(whole) > maxLength+1 {
		whole = whole[len(whole)-(maxLength+1):]
	}
	input := whole[:len(whole)-1]
	first := len(input) - len(p.Continuation)
	res := Scored{Greedy: true}
	row := make([]float32, vocab)
	var h uint64
	for pos, tok := range input {
		h = h*1000003 + uint64(tok) + 1
		if pos < first {
			continue
		}
		fakeLogits(row, h)
		target := whole[pos+1]
		lse, best := 0.0, 0
		for v, x := range row {
			lse += math.Exp(float64(x))
			if x > row[best] {
				best = v
			}
		}
		res.LL += float64(row[target]) - math.Log(lse)
		res.Greedy = res.Greedy && best == int(target)
	}
	return res
}

// wordTokenizer gives each word (with its leading space) or run of
// whitespace its own id, assigned in order of first appearance, modulo a
// vocabulary size.
type wordTokenizer struct {
	ids   map[string]int32
	vocab int32
}

var wordRE = regexp.MustCompile(` ?[^\s]+|\s+`)

func newWordTokenizer(vocab int32) *wordTokenizer {
	return &wordTokenizer{ids: map[string]int32{}, vocab: vocab}
}

func (w *wordTokenizer) Encode(text string) []int32 {
	var out []int32
	for _, piece := range wordRE.FindAllString(text, -1) {
		id, ok := w.ids[piece]
		if !ok {
			id = int32(len(w.ids)) % w.vocab
			w.ids[piece] = id
		}
		out = append(out, id)
	}
	return out
}

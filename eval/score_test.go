package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/eval/task"
)

func TestEncodePair(t *testing.T) {
	cases := []struct {
		name              string
		context, cont     string
		wantCtx, wantCont []string // pieces the word tokenizer maps to ids
	}{
		{"no_trailing_space", "Answer:", " yes", []string{"Answer:"}, []string{" yes"}},
		{"trailing_space_moves", "Answer: ", "yes", []string{"Answer:"}, []string{" yes"}},
		{"trailing_newlines_move", "Q\n\n", "A", []string{"Q"}, []string{"\n\n", "A"}},
		{"empty_context_is_eot", "", " x", nil, []string{" x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok := newWordTokenizer(1000)
			got := EncodePair(tok, c.context, c.cont, 999)
			wantCtx := []int32{999}
			if c.wantCtx != nil {
				wantCtx = encodePieces(tok, c.wantCtx)
			}
			wantCont := encodePieces(tok, c.wantCont)
			if !slices.Equal(got.Context, wantCtx) || !slices.Equal(got.Continuation, wantCont) {
				t.Errorf("got (%v, %v), want (%v, %v)", got.Context, got.Continuation, wantCtx, wantCont)
			}
		})
	}
}

func encodePieces(tok *wordTokenizer, pieces []string) []int32 {
	var ids []int32
	for _, p := range pieces {
		ids = append(ids, tok.Encode(p)...)
	}
	return ids
}

// randomPairs makes documents of 2-4 choices sharing a context, some with
// one-token continuations (as MMLU), some longer (as ARC).
func randomPairs(r *rand.Rand, vocab, docs int) []TokenPair {
	var pairs []TokenPair
	for range docs {
		ctx := make([]int32, 1+r.IntN(40))
		for i := range ctx {
			ctx[i] = int32(r.IntN(vocab))
		}
		oneToken := r.IntN(2) == 0
		for range 2 + r.IntN(3) {
			cont := make([]int32, 1)
			if !oneToken {
				cont = make([]int32, 1+r.IntN(5))
			}
			for i := range cont {
				cont[i] = int32(r.IntN(vocab))
			}
			pairs = append(pairs, TokenPair{ctx, cont})
		}
	}
	return pairs
}

func TestScorerMatchesNaive(t *testing.T) {
	const vocab = 11
	pairs := randomPairs(rand.New(rand.NewPCG(1, 2)), vocab, 25)
	cases := []struct {
		name      string
		cloner    bool
		batch     int
		maxLength int
		maxLogits int
	}{
		{"batched/bs1/whole", false, 1, 1000, 1 << 20},
		{"batched/bs3/chunked", false, 3, 1000, 3 * vocab * 4},
		{"batched/bs4/truncated", false, 4, 16, 4 * vocab * 5},
		{"cloner/whole", true, 2, 1000, 1 << 20},
		{"cloner/chunked_truncated", true, 2, 16, vocab * 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lm := &fakeLM{vocab: vocab}
			sc := &Scorer{LM: lm, MaxLength: c.maxLength, BatchSize: c.batch, MaxLogits: c.maxLogits}
			if c.cloner {
				sc.LM = clonerLM{lm}
			}
			got, err := sc.Score(pairs, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantTrunc := 0
			for i, p := range pairs {
				if len(p.Context)+len(p.Continuation) > c.maxLength+1 {
					wantTrunc++
				}
				want := naiveScore(vocab, c.maxLength, p)
				if d := math.Abs(got[i].LL - want.LL); d > 1e-9*math.Max(1, math.Abs(want.LL)) || got[i].Greedy != want.Greedy {
					t.Fatalf("pair %d: got %+v, want %+v (abs diff %.3g)", i, got[i], want, d)
				}
			}
			if sc.Truncated != wantTrunc {
				t.Errorf("truncated %d, want %d", sc.Truncated, wantTrunc)
			}
		})
	}
}

// TestSharedWork checks that a context is run once for its one-token
// choices (batched path) and once for all choices (cloner path).
func TestSharedWork(t *testing.T) {
	ctx := []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	oneToken := []TokenPair{{ctx, []int32{1}}, {ctx, []int32{2}}, {ctx, []int32{3}}, {ctx, []int32{4}}}
	long := []TokenPair{{ctx, []int32{1, 2, 3}}, {ctx, []int32{4, 5}}}
	cases := []struct {
		name    string
		cloner  bool
		pairs   []TokenPair
		wantFed int
	}{
		{"batched/one_token_choices_share_input", false, oneToken, len(ctx)},
		{"batched/long_choices_run_in_full", false, long, 2 * (len(ctx) + 2)},
		{"cloner/context_once", true, long, len(ctx) + 2 + 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lm := &fakeLM{vocab: 16}
			sc := &Scorer{LM: lm, MaxLength: 100, BatchSize: 8, MaxLogits: 1 << 20}
			if c.cloner {
				sc.LM = clonerLM{lm}
			}
			if _, err := sc.Score(c.pairs, nil); err != nil {
				t.Fatal(err)
			}
			if lm.fed != c.wantFed {
				t.Errorf("fed %d tokens, want %d", lm.fed, c.wantFed)
			}
		})
	}
}

func TestDocMetrics(t *testing.T) {
	mc := &task.Task{Kind: task.MultipleChoice, Metrics: []string{"acc", "acc_norm"}}
	ll := &task.Task{Kind: task.Loglikelihood, Metrics: []string{"perplexity", "acc"}}
	cases := []struct {
		name   string
		t      *task.Task
		doc    task.Doc
		scores []Scored
		want   map[string]float64
	}{
		// lls -4, -6: acc picks 0; per character -4/2 = -2 vs -6/6 = -1: acc_norm picks 1.
		{"mc/norm_prefers_long_choice", mc, task.Doc{Choices: []string{"ab", "abcdef"}, Gold: 1},
			[]Scored{{LL: -4}, {LL: -6}}, map[string]float64{"acc": 0, "acc_norm": 1}},
		// Code points, not bytes: "éé" is 2 characters, -3/2 = -1.5 < -5/4 = -1.25,
		// so acc_norm picks 1 (by its 4 bytes it would be -0.75 and pick 0).
		{"mc/norm_counts_code_points", mc, task.Doc{Choices: []string{"éé", "abcd"}, Gold: 0},
			[]Scored{{LL: -3}, {LL: -5}}, map[string]float64{"acc": 1, "acc_norm": 0}},
		{"mc/tie_takes_first", mc, task.Doc{Choices: []string{"a", "b"}, Gold: 1},
			[]Scored{{LL: -1}, {LL: -1}}, map[string]float64{"acc": 0, "acc_norm": 0}},
		{"loglikelihood/greedy", ll, task.Doc{}, []Scored{{LL: -2.5, Greedy: true}},
			map[string]float64{"perplexity": -2.5, "acc": 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := docMetrics(c.t, &c.doc, c.scores)
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}

package fewshot

import (
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/eval/task"
)

func docs(texts ...string) []task.Doc {
	out := make([]task.Doc, len(texts))
	for i, s := range texts {
		out[i] = task.Doc{Fields: map[string]any{"text": s}, Text: s, Target: " t"}
	}
	return out
}

// TestSamplerDraws checks the drawn examples against CPython:
//
//	r = random.Random(1234)
//	for d in range(3): s = r.sample(pool, n); [x for x in s if x != doc][:k]
func TestSamplerDraws(t *testing.T) {
	cases := []struct {
		name      string
		drawExtra bool
		pool      []task.Doc
		evalDocs  []task.Doc
		k         int
		want      [][]string
	}{
		// Pool is the eval split (lambada): n = k, the doc itself is dropped,
		// leaving k-1 examples for docs 0 and 2.
		{"same_pool/drops_doc_itself", false, docs("a", "b", "c"), docs("a", "b", "c"), 2,
			[][]string{{"b"}, {"a", "c"}, {"a"}}},
		// test_split unset (piqa, winogrande): n = k+1 from train, first k kept.
		{"draw_extra/keeps_first_k", true, docs("p", "q", "r", "s"), docs("x", "y", "z"), 2,
			[][]string{{"s", "p"}, {"p", "r"}, {"p", "s"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := &task.Task{Name: "t", DrawExtra: c.drawExtra, FewshotSplit: "train"}
			s := NewSampler(tk, c.pool, DefaultSeed)
			for i := range c.evalDocs {
				ex, err := s.Examples(&c.evalDocs[i], c.k)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range ex {
					got = append(got, e.Text)
				}
				if !slices.Equal(got, c.want[i]) {
					t.Errorf("doc %d: got %q, want %q", i, got, c.want[i])
				}
			}
		})
	}
}

func TestSamplerPoolTooSmall(t *testing.T) {
	cases := []struct {
		name          string
		firstN, extra bool
		pool, k       int
	}{
		{"first_n/mmlu_6_of_5", true, false, 5, 6},
		{"random/k_equals_pool_with_extra", false, true, 5, 5},
		{"random/k_above_pool", false, false, 3, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := &task.Task{Name: "t", FirstN: c.firstN, DrawExtra: c.extra, FewshotSplit: "dev"}
			pool := docs(strings.Split("abcdefgh", "")[:c.pool]...)
			err := NewSampler(tk, pool, DefaultSeed).Check(c.k)
			if err == nil || !strings.Contains(err.Error(), "dev pool has") {
				t.Errorf("error %v, want one about the dev pool size", err)
			}
		})
	}
}

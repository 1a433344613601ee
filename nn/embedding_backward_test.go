package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEmbeddingGradient(t *testing.T) {
	cases := []struct {
		name       string
		vocab, dim int
		tokens     []int32
	}{
		{"vocab3_dim1_one_token", 3, 1, []int32{2}},
		{"vocab5_dim4_repeated_tokens", 5, 4, []int32{1, 3, 1, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(c.vocab)))
			e, err := NewEmbedding(randSlice(r, c.vocab*c.dim, 1), c.vocab, c.dim)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, len(c.tokens)*c.dim)
			if err := e.Forward(out, c.tokens); err != nil {
				t.Fatal(err)
			}
			w, dy := gradPoint(r, len(out))
			dE0 := randSlice(r, len(e.Weight), 1)
			dE := slices.Clone(dE0)
			e.Backward(dE, dy, c.tokens)
			table := to64(e.Weight)
			gather := func() []float64 {
				y := make([]float64, 0, len(out))
				for _, tok := range c.tokens {
					y = append(y, table[int(tok)*c.dim:(int(tok)+1)*c.dim]...)
				}
				return y
			}
			checkGradCase(t, gradCase{twin: gather, forward32: out, w: w,
				tensors: []fdTensor{{"E", table, accumulated(dE, dE0)}}})
		})
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// rotaryTwin64 rotates the first dims elements of x (a head vector) as
// position pos in float64, the rotate-half form of Rotary.Apply.
func rotaryTwin64(x []float64, pos, dims int, base float64) {
	h := dims / 2
	for i := range h {
		f := float64(pos) * math.Pow(base, -float64(2*i)/float64(dims))
		c, s := math.Cos(f), math.Sin(f)
		a, b := x[i], x[i+h]
		x[i], x[i+h] = a*c-b*s, b*c+a*s
	}
}

// ropeAttentionTwin64 is GPT-NeoX attention in float64: rotary on the
// queries (positions past..past+seq−1) and the keys (positions 0..keys−1),
// then causal softmax attention. q: (batch, heads, seq, hs); k, v: (batch,
// heads, keys, hs); it returns out: (batch, seq, heads·hs).
func ropeAttentionTwin64(q, k, v []float64, batch, heads, seq, past, hs, dims int, base, scale float64) []float64 {
	keys := past + seq
	out := make([]float64, batch*seq*heads*hs)
	for b := range batch {
		for h := range heads {
			bh := b*heads + h
			kr := slices.Clone(k[bh*keys*hs : (bh+1)*keys*hs])
			for j := range keys {
				rotaryTwin64(kr[j*hs:(j+1)*hs], j, dims, base)
			}
			for t := range seq {
				qt := slices.Clone(q[(bh*seq+t)*hs : (bh*seq+t+1)*hs])
				rotaryTwin64(qt, past+t, dims, base)
				visible := past + t + 1
				s := make([]float64, visible)
				m := math.Inf(-1)
				for j := range visible {
					for i := range hs {
						s[j] += qt[i] * kr[j*hs+i]
					}
					s[j] *= scale
					m = max(m, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - m)
					sum += s[j]
				}
				o := out[(b*seq+t)*heads*hs+h*hs:]
				for j, p := range s {
					for i := range hs {
						o[i] += p / sum * v[(bh*keys+j)*hs+i]
					}
				}
			}
		}
	}
	return out
}

// TestRotaryAttentionGradient checks Attention.Backward composed with
// Rotary.Backward (the rotation by −θ) against finite differences of the
// float64 twin, with partial rotary (Dims < HeadSize, as Pythia's rotary_pct)
// and with cached keys (past > 0), whose gradients Backward also returns.
func TestRotaryAttentionGradient(t *testing.T) {
	cases := []struct {
		name                              string
		batch, heads, seq, past, hs, dims int
	}{
		{"b1_h1_seq1_hs2_full_rotary", 1, 1, 1, 0, 2, 2},
		{"b2_h2_seq4_hs6_rotary4", 2, 2, 4, 0, 6, 4},
		{"b1_h2_seq3_past2_hs4_rotary2", 1, 2, 3, 2, 4, 2},
	}
	const base = 10000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(37, uint64(c.seq*c.hs)))
			keys := c.past + c.seq
			a := Attention{Heads: c.heads, HeadSize: c.hs, Scale: 1 / float32(math.Sqrt(float64(c.hs)))}
			rot, err := NewRotary(c.dims, keys, base)
			if err != nil {
				t.Fatal(err)
			}
			bh := c.batch * c.heads
			q, k, v := randSlice(r, bh*c.seq*c.hs, 1), randSlice(r, bh*keys*c.hs, 1), randSlice(r, bh*keys*c.hs, 1)
			// Forward: rotate copies of q and k in place, as the model does, then attend.
			qr, kr := slices.Clone(q), slices.Clone(k)
			for i := range bh {
				for t := range c.seq {
					rot.Apply(qr[(i*c.seq+t)*c.hs:(i*c.seq+t+1)*c.hs], c.past+t)
				}
				for j := range keys {
					rot.Apply(kr[(i*keys+j)*c.hs:(i*keys+j+1)*c.hs], j)
				}
			}
			out, probs := make([]float32, c.batch*c.seq*c.heads*c.hs), make([]float32, bh*c.seq*keys)
			a.Forward(out, probs, qr, kr, v, c.batch, c.seq, c.past, keys)

			w, dy := gradPoint(r, len(out))
			dq, dk, dv := randSlice(r, len(q), 1), randSlice(r, len(k), 1), randSlice(r, len(v), 1)
			a.Backward(dq, dk, dv, make([]float32, len(probs)), dy, probs, qr, kr, v, c.batch, c.seq, c.past, keys)
			for i := range bh {
				for t := range c.seq {
					rot.Backward(dq[(i*c.seq+t)*c.hs:(i*c.seq+t+1)*c.hs], c.past+t)
				}
				for j := range keys {
					rot.Backward(dk[(i*keys+j)*c.hs:(i*keys+j+1)*c.hs], j)
				}
			}
			q64, k64, v64 := to64(q), to64(k), to64(v)
			checkGradCase(t, gradCase{
				twin: func() []float64 {
					return ropeAttentionTwin64(q64, k64, v64, c.batch, c.heads, c.seq, c.past, c.hs, c.dims, base, float64(a.Scale))
				},
				forward32: out, w: w,
				tensors: []fdTensor{{"q", q64, dq}, {"k", k64, dk}, {"v", v64, dv}},
			})
		})
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// gatedRMSNormTwin64 is GatedRMSNorm.Forward in float64 on packed x, z (rows, dim).
func gatedRMSNormTwin64(x, z, w []float64, rows, gs int, eps float64, normBeforeGate bool) []float64 {
	dim := len(w)
	out := make([]float64, rows*dim)
	for r := range rows {
		u := slices.Clone(x[r*dim : (r+1)*dim])
		gate := make([]float64, dim)
		for i := range u {
			gate[i] = z[r*dim+i] * sigmoid64(z[r*dim+i])
			if !normBeforeGate {
				u[i] *= gate[i]
			}
		}
		for g0 := 0; g0 < dim; g0 += gs {
			var ss float64
			for _, v := range u[g0 : g0+gs] {
				ss += v * v
			}
			s := 1 / math.Sqrt(ss/float64(gs)+eps)
			for i := g0; i < g0+gs; i++ {
				out[r*dim+i] = u[i] * s * w[i]
				if normBeforeGate {
					out[r*dim+i] *= gate[i]
				}
			}
		}
	}
	return out
}

func TestGatedRMSNormGradient(t *testing.T) {
	cases := []struct {
		name           string
		rows, dim, gs  int
		normBeforeGate bool
	}{
		{"rows3_dim8_one_group_gate_then_norm", 3, 8, 8, false},
		{"rows2_dim12_groups_of_4_gate_then_norm", 2, 12, 4, false},
		{"rows2_dim12_groups_of_6_norm_then_gate", 2, 12, 6, true},
	}
	const eps = 1e-5
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(41, uint64(c.dim*c.gs)))
			n, err := NewGatedRMSNorm(randSlice(r, c.dim, 1), c.gs, eps, c.normBeforeGate)
			if err != nil {
				t.Fatal(err)
			}
			// x packed (the SSD output); z a column block of rows of width ld (in_proj's output).
			ld := 2*c.dim + 3
			x, z := randSlice(r, c.rows*c.dim, 1), randSlice(r, c.rows*c.dim, 1.5)
			zs := strided(r, z, c.rows, c.dim, ld)
			out, rstd := make([]float32, len(x)), make([]float32, c.rows*c.dim/c.gs)
			n.Forward(out, rstd, x, c.dim, zs, ld, c.rows)
			w, dy := gradPoint(r, len(out))
			dx, dz := randSlice(r, len(x), 1), randSlice(r, c.rows*ld, 1)
			dW0 := randSlice(r, c.dim, 1)
			dW := slices.Clone(dW0)
			dzBefore := slices.Clone(dz)
			n.Backward(dx, c.dim, dz, ld, dW, dy, x, c.dim, zs, ld, rstd, c.rows)
			for i := range c.rows { // the rest of in_proj's gradient row is not the norm's
				requireClose(t, "dz outside its columns", dz[i*ld+c.dim:(i+1)*ld], dzBefore[i*ld+c.dim:(i+1)*ld], 0, 0)
			}
			x64, z64, w64 := to64(x), to64(z), to64(n.Weight)
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return gatedRMSNormTwin64(x64, z64, w64, c.rows, c.gs, eps, c.normBeforeGate) },
				forward32: out, w: w,
				tensors: []fdTensor{{"x", x64, dx}, {"z", z64, packed(dz, c.rows, c.dim, ld)}, {"γ", w64, accumulated(dW, dW0)}},
			})
		})
	}
}

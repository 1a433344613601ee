package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// rmsNormTwin is y = x / sqrt(mean(x²) + ε) · γ in float64, row by row.
func rmsNormTwin(x, g []float64, rows int, eps float64) []float64 {
	dim := len(g)
	y := make([]float64, rows*dim)
	for r := range rows {
		var ss float64
		for _, v := range x[r*dim : (r+1)*dim] {
			ss += v * v
		}
		s := 1 / math.Sqrt(ss/float64(dim)+eps)
		for i := range dim {
			y[r*dim+i] = x[r*dim+i] * s * g[i]
		}
	}
	return y
}

func TestRMSNormGradient(t *testing.T) {
	cases := []struct {
		name      string
		rows, dim int
		eps       float32
		inPlace   bool // dx aliases dy
	}{
		{"rows1_dim2", 1, 2, 1e-5, false},
		{"rows3_dim8", 3, 8, 1e-5, false},
		{"rows4_dim5_eps0.5_dx_aliases_dy", 4, 5, 0.5, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(13, uint64(c.rows*c.dim)))
			n, err := NewRMSNorm(randSlice(r, c.dim, 1), c.eps)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, c.rows*c.dim, 2)
			y, rstd := make([]float32, len(x)), make([]float32, c.rows)
			n.Forward(y, rstd, x, c.rows)
			w, dy := gradPoint(r, len(y))
			dx := randSlice(r, len(x), 1)
			if c.inPlace {
				dx = slices.Clone(dy)
				dy = dx
			}
			dW0 := randSlice(r, c.dim, 1)
			dW := slices.Clone(dW0)
			n.Backward(dx, dW, dy, x, rstd, c.rows)
			x64, g64 := to64(x), to64(n.Weight)
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return rmsNormTwin(x64, g64, c.rows, float64(c.eps)) },
				forward32: y, w: w,
				tensors: []fdTensor{{"x", x64, dx}, {"γ", g64, accumulated(dW, dW0)}},
			})
		})
	}
}

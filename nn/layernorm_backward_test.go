package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// layerNormTwin is y = (x − mean)/sqrt(var + ε)·γ + β in float64, row by row.
func layerNormTwin(x, g, b []float64, rows int, eps float64) []float64 {
	dim := len(g)
	y := make([]float64, rows*dim)
	for r := range rows {
		xr := x[r*dim : (r+1)*dim]
		var mu, v float64
		for _, e := range xr {
			mu += e
		}
		mu /= float64(dim)
		for _, e := range xr {
			v += (e - mu) * (e - mu)
		}
		s := 1 / math.Sqrt(v/float64(dim)+eps)
		for i, e := range xr {
			y[r*dim+i] = (e-mu)*s*g[i] + b[i]
		}
	}
	return y
}

func TestLayerNormGradient(t *testing.T) {
	cases := []struct {
		name      string
		rows, dim int
		eps       float32
	}{
		{"rows1_dim2", 1, 2, 1e-5},
		{"rows3_dim9", 3, 9, 1e-5},
		{"rows2_dim6_eps0.5", 2, 6, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, uint64(c.rows*c.dim)))
			l, err := NewLayerNorm(randSlice(r, c.dim, 1), randSlice(r, c.dim, 1), c.dim, c.eps)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, c.rows*c.dim, 2)
			y, mean, rstd := make([]float32, len(x)), make([]float32, c.rows), make([]float32, c.rows)
			l.Forward(y, mean, rstd, x, c.rows)
			w, dy := gradPoint(r, len(y))
			dx := randSlice(r, len(x), 1)
			dW0, db0 := randSlice(r, c.dim, 1), randSlice(r, c.dim, 1)
			dW, db := slices.Clone(dW0), slices.Clone(db0)
			l.Backward(dx, dW, db, dy, x, mean, rstd, c.rows)
			x64, g64, b64 := to64(x), to64(l.Weight), to64(l.Bias)
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return layerNormTwin(x64, g64, b64, c.rows, float64(c.eps)) },
				forward32: y, w: w,
				tensors: []fdTensor{{"x", x64, dx}, {"γ", g64, accumulated(dW, dW0)}, {"β", b64, accumulated(db, db0)}},
			})
		})
	}
}

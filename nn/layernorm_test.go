package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// layerNormRef is the readable float64 twin of LayerNorm.Forward.
func layerNormRef(l LayerNorm, x []float32, rows int) (y, mean, rstd []float32) {
	d := l.Dim
	y, mean, rstd = make([]float32, rows*d), make([]float32, rows), make([]float32, rows)
	for r := range rows {
		var mu, v float64
		for _, z := range x[r*d : (r+1)*d] {
			mu += float64(z) / float64(d)
		}
		for _, z := range x[r*d : (r+1)*d] {
			v += (float64(z) - mu) * (float64(z) - mu) / float64(d)
		}
		rs := 1 / math.Sqrt(v+float64(l.Eps))
		for i, z := range x[r*d : (r+1)*d] {
			y[r*d+i] = float32((float64(z)-mu)*rs*float64(l.Weight[i]) + float64(l.Bias[i]))
		}
		mean[r], rstd[r] = float32(mu), float32(rs)
	}
	return y, mean, rstd
}

func TestLayerNormForwardMatchesReference(t *testing.T) {
	cases := []struct {
		name      string
		rows, dim int
		offset    float32 // added to x: a large mean tests the two-pass variance
		inPlace   bool
	}{
		{"rows1_dim4", 1, 4, 0, false},
		{"rows9_dim64", 9, 64, 0, false},
		{"rows3_dim768_mean100", 3, 768, 100, false},
		{"rows5_dim32_in_place", 5, 32, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, uint64(c.dim)))
			l, err := NewLayerNorm(randSlice(r, c.dim, 1), randSlice(r, c.dim, 0.5), c.dim, 1e-5)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, c.rows*c.dim, 2)
			for i := range x {
				x[i] += c.offset
			}
			wantY, wantMean, wantRstd := layerNormRef(l, x, c.rows)
			y, mean, rstd := make([]float32, len(x)), make([]float32, c.rows), make([]float32, c.rows)
			if c.inPlace {
				y = x
			}
			l.Forward(y, mean, rstd, x, c.rows)
			requireClose(t, "y", y, wantY, 1e-5, 1e-5)
			requireClose(t, "mean", mean, wantMean, 1e-6, 1e-6)
			requireClose(t, "rstd", rstd, wantRstd, 1e-6, 1e-6)
		})
	}
}

func TestNewLayerNormRejectsBadShapes(t *testing.T) {
	if _, err := NewLayerNorm(make([]float32, 4), make([]float32, 3), 4, 1e-5); err == nil {
		t.Error("bias of the wrong length: no error")
	}
	if _, err := NewLayerNorm(nil, nil, 0, 1e-5); err == nil {
		t.Error("zero dim: no error")
	}
}

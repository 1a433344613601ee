package nn

import (
	"fmt"
	"math"
)

// LayerNorm normalises each row over its last dimension (torch.nn.LayerNorm
// with elementwise affine):
//
//	y = (x - mean(x)) / sqrt(var(x) + eps) · weight + bias      (Ba et al. 2016, eq. 4; biased variance)
//
// Precision: Weight and Bias are float32 master values; the moments are
// accumulated in float64 and the output is float32 in every precision mode.
type LayerNorm struct {
	Weight []float32 // γ: (Dim)
	Bias   []float32 // β: (Dim)
	Dim    int
	Eps    float32
}

// NewLayerNorm checks that weight and bias have dim elements and returns the
// layer. It keeps the slices, it does not copy them.
func NewLayerNorm(weight, bias []float32, dim int, eps float32) (LayerNorm, error) {
	if dim <= 0 {
		return LayerNorm{}, fmt.Errorf("nn.LayerNorm: non-positive dim %d", dim)
	}
	if len(weight) != dim || len(bias) != dim {
		return LayerNorm{}, fmt.Errorf("nn.LayerNorm: weight has %d and bias %d elements, want dim = %d", len(weight), len(bias), dim)
	}
	return LayerNorm{Weight: weight, Bias: bias, Dim: dim, Eps: eps}, nil
}

// Forward normalises rows rows of x into y. mean and rstd, when not nil,
// receive each row's mean and 1/sqrt(var+eps), which Backward needs.
//
//	x, y: (rows, Dim)   mean, rstd: (rows)
//
// y may alias x. Forward allocates nothing.
func (l LayerNorm) Forward(y, mean, rstd, x []float32, rows int) {
	d := l.Dim
	if len(x) < rows*d || len(y) < rows*d {
		panic(fmt.Sprintf("nn.LayerNorm.Forward: x has %d, y has %d elements, want %d·%d", len(x), len(y), rows, d))
	}
	for r := 0; r < rows; r++ {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		mu := s / float64(d)
		var ss float64
		for _, v := range xr {
			c := float64(v) - mu
			ss += c * c
		}
		rs := 1 / math.Sqrt(ss/float64(d)+float64(l.Eps))
		m32, r32 := float32(mu), float32(rs)
		for i, v := range xr {
			yr[i] = (v-m32)*r32*l.Weight[i] + l.Bias[i]
		}
		if mean != nil {
			mean[r] = m32
		}
		if rstd != nil {
			rstd[r] = r32
		}
	}
}

// Backward computes the gradients of LayerNorm for rows rows, from the
// Forward input x and the mean and rstd Forward saved. With n̂ = (x−μ)·rstd
// and g = dy·γ (llm.c layernorm_backward):
//
//	dx = rstd · (g − mean(g) − n̂·mean(g·n̂))    written
//	dγ += Σ_rows dy·n̂,  dβ += Σ_rows dy          accumulated
//
//	dy, x, dx: (rows, Dim)   mean, rstd: (rows)   dW, db: (Dim)
//
// dx may alias dy. Backward allocates nothing.
func (l LayerNorm) Backward(dx, dW, db, dy, x, mean, rstd []float32, rows int) {
	d := l.Dim
	if len(dy) < rows*d || len(x) < rows*d || len(dx) < rows*d || len(mean) < rows || len(rstd) < rows || len(dW) < d || len(db) < d {
		panic(fmt.Sprintf("nn.LayerNorm.Backward: slices too short for rows %d, dim %d", rows, d))
	}
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		mu, rs := mean[r], rstd[r]
		var gMean, gnMean float64 // mean(g), mean(g·n̂)
		for i, v := range xr {
			n := (v - mu) * rs
			g := dyr[i] * l.Weight[i]
			gMean += float64(g)
			gnMean += float64(g * n)
			dW[i] += dyr[i] * n
			db[i] += dyr[i]
		}
		gm, gnm := float32(gMean/float64(d)), float32(gnMean/float64(d))
		for i, v := range xr {
			n := (v - mu) * rs
			dxr[i] = rs * (dyr[i]*l.Weight[i] - gm - n*gnm)
		}
	}
}

package nn

import (
	"fmt"
	"math"
)

// RMSNorm is root-mean-square layer normalisation without bias (Zhang &
// Sennrich 2019; mamba_ssm ops/triton/layer_norm.py rms_norm_ref with
// upcast=True): out = x / sqrt(mean(x²) + eps) · γ.
//
// Precision: γ, the statistics and the output are float32 in every mode (the
// reference upcasts the norm to fp32).
type RMSNorm struct {
	Weight []float32 // γ: (dim)
	Eps    float32   // ε added to mean(x²)
}

// NewRMSNorm checks that weight is non-empty and eps positive.
func NewRMSNorm(weight []float32, eps float32) (RMSNorm, error) {
	if len(weight) == 0 {
		return RMSNorm{}, fmt.Errorf("nn.RMSNorm: empty weight")
	}
	if !(eps > 0) {
		return RMSNorm{}, fmt.Errorf("nn.RMSNorm: eps %g must be positive", eps)
	}
	return RMSNorm{Weight: weight, Eps: eps}, nil
}

// Forward normalises each row of x.
//
//	x, out: (rows, dim)   rstd: (rows) or nil
//
// out may alias x. rstd[r] = 1/sqrt(mean(x[r]²) + ε) is saved for the backward
// when rstd is non-nil. The sum of squares is accumulated in float64.
func (n RMSNorm) Forward(out, rstd, x []float32, rows int) {
	dim := len(n.Weight)
	if len(x) < rows*dim || len(out) < rows*dim || (rstd != nil && len(rstd) < rows) {
		panic(fmt.Sprintf("nn.RMSNorm.Forward: x %d, out %d, rstd %d elements for rows %d × dim %d", len(x), len(out), len(rstd), rows, dim))
	}
	for r := 0; r < rows; r++ {
		xr := x[r*dim : (r+1)*dim]
		or := out[r*dim : (r+1)*dim]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v)
		}
		// rstd = (mean(x²) + ε)^{-1/2}
		s := float32(1 / math.Sqrt(ss/float64(dim)+float64(n.Eps)))
		if rstd != nil {
			rstd[r] = s
		}
		for i, v := range xr {
			or[i] = v * s * n.Weight[i]
		}
	}
}

package nn

import "fmt"

// Backward computes the gradients of RMSNorm for rows rows from the Forward
// input x and the rstd Forward saved. With s = rstd, x̂ = x·s and g = dy⊙γ
// (the derivative of y = x·s·γ, s = (mean(x²) + ε)^{-1/2}, ∂s/∂x = −s³x/dim;
// mamba_ssm layer_norm.py _layer_norm_bwd with is_rms_norm):
//
//	dx = s·(g − x̂·mean(g⊙x̂))        written
//	dγ += Σ_rows dy⊙x̂               accumulated
//
//	dy, x, dx: (rows, dim)   rstd: (rows)   dW: (dim)
//
// dx may alias dy. The residual stream around the norm is the caller's: it
// adds dx to its own gradient. The row mean is accumulated in float64.
// Backward allocates nothing.
func (n RMSNorm) Backward(dx, dW, dy, x, rstd []float32, rows int) {
	dim := len(n.Weight)
	if len(dy) < rows*dim || len(x) < rows*dim || len(dx) < rows*dim || len(rstd) < rows || len(dW) < dim {
		panic(fmt.Sprintf("nn.RMSNorm.Backward: slices too short for rows %d, dim %d", rows, dim))
	}
	for r := 0; r < rows; r++ {
		xr, dyr, dxr := x[r*dim:(r+1)*dim], dy[r*dim:(r+1)*dim], dx[r*dim:(r+1)*dim]
		s := rstd[r]
		var gn float64 // Σ g⊙x̂
		for i, v := range xr {
			xh := v * s
			gn += float64(dyr[i] * n.Weight[i] * xh)
			dW[i] += dyr[i] * xh
		}
		gnm := float32(gn / float64(dim))
		for i, v := range xr {
			dxr[i] = s * (dyr[i]*n.Weight[i] - v*s*gnm)
		}
	}
}

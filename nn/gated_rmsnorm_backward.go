package nn

import "fmt"

// Backward computes the gradients of Forward for rows rows from the Forward
// inputs x, z and the rstd Forward saved. Within each group, with s = rstd
// and σ = sigmoid (mamba_ssm layernorm_gated.py _layer_norm_bwd):
//
// norm_before_gate = false, u = x⊙SiLU(z), û = u·s, y = û⊙γ:
//
//	du = s·(dy⊙γ − û·mean_group(dy⊙γ⊙û))
//	dx = du⊙SiLU(z);  dz = du⊙x⊙SiLU'(z);  dγ += dy⊙û
//
// norm_before_gate = true, x̂ = x·s, y = x̂⊙γ⊙SiLU(z), dn = dy⊙SiLU(z):
//
//	dx = s·(dn⊙γ − x̂·mean_group(dn⊙γ⊙x̂))
//	dz = dy⊙x̂⊙γ⊙SiLU'(z);  dγ += dn⊙x̂
//
//	dy:   (rows, dim) packed, the gradient of out
//	x, z: (rows, dim) with row strides ldx, ldz, the Forward inputs
//	rstd: (rows, dim/GroupSize), saved by Forward
//	dx, dz: (rows, dim) with row strides lddx, lddz; written
//	dW:   (dim) accumulated
//
// u is recomputed from x and z rather than saved. dx and dz must not overlap
// dy, x or z. The group means are accumulated in float64. Backward allocates
// nothing.
func (n GatedRMSNorm) Backward(dx []float32, lddx int, dz []float32, lddz int, dW, dy, x []float32, ldx int, z []float32, ldz int, rstd []float32, rows int) {
	dim, gs := len(n.Weight), n.GroupSize
	fits := func(a []float32, ld int) bool { return ld >= dim && len(a) >= (rows-1)*ld+dim }
	if !fits(dx, lddx) || !fits(dz, lddz) || !fits(x, ldx) || !fits(z, ldz) || len(dy) < rows*dim ||
		len(rstd) < rows*dim/gs || len(dW) < dim {
		panic(fmt.Sprintf("nn.GatedRMSNorm.Backward: slices too short or strides below dim for rows %d × dim %d", rows, dim))
	}
	for r := 0; r < rows; r++ {
		xr, zr, dyr := x[r*ldx:r*ldx+dim], z[r*ldz:r*ldz+dim], dy[r*dim:(r+1)*dim]
		dxr, dzr := dx[r*lddx:r*lddx+dim], dz[r*lddz:r*lddz+dim]
		for g0 := 0; g0 < dim; g0 += gs {
			s := rstd[r*dim/gs+g0/gs]
			if n.NormBeforeGate {
				n.backwardNormThenGate(dxr[g0:g0+gs], dzr[g0:g0+gs], dW[g0:g0+gs], dyr[g0:g0+gs], xr[g0:g0+gs], zr[g0:g0+gs], n.Weight[g0:g0+gs], s)
			} else {
				n.backwardGateThenNorm(dxr[g0:g0+gs], dzr[g0:g0+gs], dW[g0:g0+gs], dyr[g0:g0+gs], xr[g0:g0+gs], zr[g0:g0+gs], n.Weight[g0:g0+gs], s)
			}
		}
	}
}

// backwardGateThenNorm is one group of Backward for norm_before_gate = false;
// every slice is the group's (GroupSize).
func (GatedRMSNorm) backwardGateThenNorm(dx, dz, dW, dy, x, z, w []float32, s float32) {
	var gu float64 // Σ dy⊙γ⊙û
	for i, v := range x {
		uh := v * SiLUScalar(z[i]) * s
		gu += float64(dy[i] * w[i] * uh)
		dW[i] += dy[i] * uh
	}
	m := float32(gu / float64(len(x)))
	for i, v := range x {
		sz := SiLUScalar(z[i])
		du := s * (dy[i]*w[i] - v*sz*s*m)
		dx[i] = du * sz
		dz[i] = du * v * siluGrad(z[i])
	}
}

// backwardNormThenGate is one group of Backward for norm_before_gate = true;
// every slice is the group's (GroupSize).
func (GatedRMSNorm) backwardNormThenGate(dx, dz, dW, dy, x, z, w []float32, s float32) {
	var gn float64 // Σ dn⊙γ⊙x̂
	for i, v := range x {
		xh := v * s
		dn := dy[i] * SiLUScalar(z[i])
		gn += float64(dn * w[i] * xh)
		dW[i] += dn * xh
		dz[i] = dy[i] * xh * w[i] * siluGrad(z[i])
	}
	m := float32(gn / float64(len(x)))
	for i, v := range x {
		dx[i] = s * (dy[i]*SiLUScalar(z[i])*w[i] - v*s*m)
	}
}

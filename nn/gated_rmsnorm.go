package nn

import (
	"fmt"
	"math"
)

// GatedRMSNorm is Mamba-2's gated, grouped RMSNorm (mamba_ssm
// ops/triton/layernorm_gated.py rms_norm_ref, module RMSNormGated, no bias).
// With norm_before_gate = false (Mamba2's default):
//
//	u = x ⊙ SiLU(z);  out = u / sqrt(mean_group(u²) + ε) ⊙ γ
//
// and with norm_before_gate = true:
//
//	out = x / sqrt(mean_group(x²) + ε) ⊙ γ ⊙ SiLU(z)
//
// where mean_group averages over consecutive blocks of GroupSize channels
// (group_size = d_inner / ngroups in Mamba2).
//
// Precision: γ, the statistics and the output are float32 in every mode (the
// reference runs with upcast=True); the sum of squares is accumulated in
// float64.
type GatedRMSNorm struct {
	Weight         []float32 // γ: (dim)
	GroupSize      int       // channels per normalisation group; dim must be a multiple
	Eps            float32   // ε added to the mean square
	NormBeforeGate bool      // normalise x, then gate (true); gate, then normalise (false)
}

// NewGatedRMSNorm checks that weight is non-empty, groupSize divides its
// length and eps is positive.
func NewGatedRMSNorm(weight []float32, groupSize int, eps float32, normBeforeGate bool) (GatedRMSNorm, error) {
	if len(weight) == 0 {
		return GatedRMSNorm{}, fmt.Errorf("nn.GatedRMSNorm: empty weight")
	}
	if groupSize <= 0 || len(weight)%groupSize != 0 {
		return GatedRMSNorm{}, fmt.Errorf("nn.GatedRMSNorm: group size %d does not divide dim %d", groupSize, len(weight))
	}
	if !(eps > 0) {
		return GatedRMSNorm{}, fmt.Errorf("nn.GatedRMSNorm: eps %g must be positive", eps)
	}
	return GatedRMSNorm{Weight: weight, GroupSize: groupSize, Eps: eps, NormBeforeGate: normBeforeGate}, nil
}

// Forward normalises and gates rows rows.
//
//	x:   (rows, dim) with row stride ldx ≥ dim
//	z:   (rows, dim) with row stride ldz ≥ dim, the gate
//	out: (rows, dim) packed; may alias x when ldx = dim
//	rstd: (rows, dim/GroupSize) or nil, 1/sqrt(mean(u²)+ε) saved for the backward
func (n GatedRMSNorm) Forward(out, rstd, x []float32, ldx int, z []float32, ldz int, rows int) {
	dim, gs := len(n.Weight), n.GroupSize
	if ldx < dim || ldz < dim || len(x) < (rows-1)*ldx+dim || len(z) < (rows-1)*ldz+dim ||
		len(out) < rows*dim || (rstd != nil && len(rstd) < rows*dim/gs) {
		panic(fmt.Sprintf("nn.GatedRMSNorm.Forward: x %d (ld %d), z %d (ld %d), out %d, rstd %d elements for rows %d × dim %d",
			len(x), ldx, len(z), ldz, len(out), len(rstd), rows, dim))
	}
	for r := 0; r < rows; r++ {
		xr, zr, or := x[r*ldx:r*ldx+dim], z[r*ldz:r*ldz+dim], out[r*dim:(r+1)*dim]
		if !n.NormBeforeGate {
			// u = x ⊙ SiLU(z), written to out first.
			for i, v := range xr {
				or[i] = v * SiLUScalar(zr[i])
			}
			xr = or
		}
		for g0 := 0; g0 < dim; g0 += gs {
			var ss float64
			for _, v := range xr[g0 : g0+gs] {
				ss += float64(v) * float64(v)
			}
			// rstd = (mean_group(u²) + ε)^{-1/2}
			s := float32(1 / math.Sqrt(ss/float64(gs)+float64(n.Eps)))
			if rstd != nil {
				rstd[r*dim/gs+g0/gs] = s
			}
			for i := g0; i < g0+gs; i++ {
				v := xr[i] * s * n.Weight[i]
				if n.NormBeforeGate {
					v *= SiLUScalar(zr[i])
				}
				or[i] = v
			}
		}
	}
}

package train

import (
	"math"

	"github.com/steady-ml/steady/nn"
)

// GradNorm returns the global L2 norm of the gradients as torch 1.13's clip_grad_norm_
// computes it: torch.norm(torch.stack([torch.norm(g, 2) for g in grads]), 2), each norm an fp32
// reduction (torchNorm2), a tied weight counted once (it is one Param). It reproduces the
// reference's grad_norms bit for bit.
func GradNorm(params []*Param) float32 {
	norms := make([]float32, len(params))
	forEach(len(params), func(i int) { norms[i] = torchNorm2(params[i].Grad) })
	return torchNorm2(norms)
}

// normLanes is the width of Vectorized<float> in the AVX2 kernels the reference build ran
// (8 fp32 lanes); the fixture's grad_norms match this width and no other.
const normLanes = 8

// torchNorm2 is the 2-norm of a contiguous fp32 tensor as the vectorised CPU path of torch
// 1.13's norm kernel (norm_two_reduce_step) sums it: 8 running fp32 sums, lane j taking
// elements j, j+8, j+16, … as acc_j = fma(x, x, acc_j); then the lanes added left to right;
// then the tail (numel mod 8) added one fused square at a time; then sqrt, rounded to fp32.
// The fused multiply-adds come from GCC contracting acc += x·x in kernels built with -mfma;
// unfused sums miss the reference.
func torchNorm2(x []float32) float32 {
	var acc [normLanes]float32
	d := 0
	for ; d+normLanes <= len(x); d += normLanes {
		for j := range acc {
			acc[j] = fma32(x[d+j], x[d+j], acc[j])
		}
	}
	s := acc[0]
	for _, a := range acc[1:] {
		s += a
	}
	for ; d < len(x); d++ {
		s = fma32(x[d], x[d], s)
	}
	return float32(math.Sqrt(float64(s)))
}

// ClipCoef returns the factor clip_grad_norm_ (torch 1.13) multiplies every gradient by, for a
// global norm total and a limit maxNorm:
//
//	clip_coef = max_norm / (total_norm + 1e-6)     # fp32 tensor: fl(total + fl32(1e-6)),
//	                                               # then Tensor.__rdiv__ = reciprocal() * max_norm
//	clip_coef_clamped = torch.clamp(clip_coef, max=1.0)
//
// A non-finite total gives a non-finite coefficient, as in torch.
func ClipCoef(total float32, maxNorm float64) float32 {
	denom := total + float32(1e-6)
	coef := float32(1/denom) * float32(maxNorm)
	if coef > 1 {
		coef = 1
	}
	return coef
}

// ClipGradNorm scales the gradients so that their global norm is at most maxNorm and returns
// the norm before clipping, as torch.nn.utils.clip_grad_norm_(params, maxNorm) does: every
// gradient is multiplied by ClipCoef, also when it is 1.
func ClipGradNorm(params []*Param, maxNorm float64) float32 {
	total := GradNorm(params)
	scaleGrads(params, ClipCoef(total, maxNorm), nn.AutocastOff)
	return total
}

// scaleGrads multiplies every gradient by c in fp32: grad.mul_(c). With gradients stored in a
// half format (pure modes) the product is rounded back to it, as mul_ on a half .grad rounds.
func scaleGrads(params []*Param, c float32, format nn.Autocast) {
	forChunks(gradLens(params), func(t, lo, hi int) {
		g := params[t].Grad[lo:hi]
		if format == nn.AutocastOff {
			mulBy(g, c)
			return
		}
		inBlocks(len(g), func(i, j int) {
			mulBy(g[i:j], c)
			format.Round(g[i:j])
		})
	})
}

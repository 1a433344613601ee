//go:build !purego

// AdamW's element-wise update in C, so that GCC vectorises it (16 float32
// lanes per zmm on AVX-512, 8 per ymm on AVX2) where Go runs one element at a
// time and emulates each fused multiply-add in software (fma32). It is
// updateGo of adamw.go, the readable twin that the purego build runs and the
// tests hold this to bit for bit: the same float32 operations in the same
// order, which are torch 1.13's _single_tensor_adamw (torch/optim/adamw.py)
// rounded as its CPU kernels round (see updateGo for why each fuses or not):
//
//	param.mul_(1 - lr * weight_decay)           p ← fl(p·decay)
//	exp_avg.mul_(beta1)
//	    .add_(grad, alpha=1 - beta1)            m ← fma(g, 1−β1, fl(m·β1))
//	exp_avg_sq.mul_(beta2)
//	    .addcmul_(grad, grad, value=1 - beta2)  v ← fma(fl((1−β2)·g), g, fl(v·β2))
//	denom = (exp_avg_sq.sqrt()
//	    / bias_correction2_sqrt).add_(eps)      d ← fl(fl(fl(√v) / √(1−β2^t)) + ε)
//	param.addcdiv_(exp_avg, denom,
//	    value=-step_size)                       p ← fl(p + fl(fl(−step_size·m) / d))
//
// Each rounding is explicit: fp-contract=off keeps GCC from fusing any other
// a·b + c; fmaf rounds once (vfmadd in the vector clones, glibc's correctly
// rounded fmaf in the baseline one); sqrtf and / are IEEE's correctly rounded
// vsqrtps and vdivps, the bits of Go's float32(math.Sqrt(float64(v))) (a
// double has more than 2·24+2 bits, so rounding √v to double first is
// harmless) and float32 division. Nothing sets flush-to-zero, so subnormals
// round as in Go. Where updateGo gives NaN this gives NaN; which NaN payload
// is not promised (it follows which operand each compiler puts first), and the
// trainer stops at a non-finite gradient before any update.
//
// target_clones picks x86-64-v4 (AVX-512 with FMA), x86-64-v3 (AVX2 with FMA)
// or baseline x86-64 code at load time. The "avx512f", "avx2" clones of nn's
// kernels would not do: -mavx2 does not enable FMA, so that clone would call
// fmaf per element and stay scalar.
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include "adamw.h"

// sqrtf sets errno for a negative argument, so GCC keeps a branch to libm in
// the loop and does not vectorise it, unless errno is known not to matter:
// #cgo CFLAGS does not allow -fno-math-errno, and GCC decides a builtin's
// side effects for the whole file (a pragma cannot change it). Nothing here
// reads errno; declared const, sqrtf becomes vsqrtps. Its value is unchanged:
// NaN for a negative argument either way.
float sqrtf(float) __attribute__((const));

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
void steady_adamw_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, long n,
                         steady_adamw_scalars s) {
	for (long i = 0; i < n; i++) {
		const float gi = g[i];
		const float pi = p[i] * s.decay;
		const float mi = fmaf(gi, s.one_minus1, m[i] * s.beta1);
		const float vi = fmaf(s.one_minus2 * gi, gi, v[i] * s.beta2);
		const float denom = sqrtf(vi) / s.bc2_sqrt + s.eps;
		p[i] = pi + s.neg_step * mi / denom;
		m[i] = mi;
		v[i] = vi;
	}
}

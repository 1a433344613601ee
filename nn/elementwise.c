//go:build !purego

// The element-wise activation and loss kernels in C, so that the compiler
// vectorises them (16 float32 or 8 float64 lanes per zmm on AVX-512), where
// Go runs one element at a time. Each kernel has a readable Go twin with the
// same operations in the same order (siluGo, siluBackwardGo in activation*.go,
// geluGo, geluBackwardGo in gelu.go, softmaxRowGo in crossentropy.go) that the
// purego build runs and the tests hold these to. target_clones picks AVX-512,
// AVX2 or plain x86-64 code at load time.
// No FMA contraction: with separately rounded products the activations are
// bit-identical to their Go twins (Go does not fuse on GOAMD64=v1).
// no-trapping-math lets if-conversion vectorise the clamps for AVX2 and SSE2
// too; no-thread-jumps stops gcc from giving SiLU's clamped lanes a second
// division (2 vdivps per vector → 1: 1.5 → 0.4 ns per element). Neither
// changes a result.
#pragma GCC optimize("fp-contract=off", "no-trapping-math", "no-thread-jumps")
#include <stdint.h>
#include <string.h>
#include "scan_math.h"
#include "elementwise.h"

#define STEADY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// y = x·σ(x) = x / (1 + e^{−x})   (torch silu); exp_poly clamps its argument
// to [−87.3, 88], so x < −88 gives x·e^x ≈ 0 and x > 87.3 gives x.
STEADY_CLONES void steady_silu(float *dst, const float *x, long n) {
	#pragma omp simd
	for (long i = 0; i < n; i++) dst[i] = x[i] / (1.0f + exp_poly(-x[i]));
}

// dx = dy·σ(x)·(1 + x·(1 − σ(x)))   (torch silu_backward)
STEADY_CLONES void steady_silu_backward(float *dx, const float *dy, const float *x, long n) {
	#pragma omp simd
	for (long i = 0; i < n; i++) {
		const float s = 1.0f / (1.0f + exp_poly(-x[i]));
		dx[i] = dy[i] * (s * (1.0f + x[i] * (1.0f - s)));
	}
}

// geluMaxT is the |x| above which GELU's normal tail is set to 0: x·Φ(−14.5)
// rounds to 0 in float32, and e^{−x²/2} stays far from double's underflow.
#define STEADY_GELU_MAX_T 14.5

// exp_neg_half_sq returns e^{−t²/2} in double for 0 ≤ t ≤ STEADY_GELU_MAX_T:
// t² of a float32 t is exact in double; Cody–Waite reduction to
// r ∈ [−ln2/2, ln2/2] and a degree-9 Taylor polynomial (error < 1e-11).
static inline double exp_neg_half_sq(double t) {
	const double log2e = 1.4426950408889634, ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
	const double magic = 6755399441055744.0; // 1.5·2⁵²: adding it rounds to an integer in the low mantissa bits
	const double a = -0.5 * t * t;
	const double kt = a * log2e + magic;
	const double k = kt - magic;
	const double r = a - k * ln2hi - k * ln2lo;
	const double p = ((((((((2.7557319223985893e-6 * r + 2.4801587301587302e-5) * r + 1.9841269841269841e-4) * r +
	                      1.3888888888888889e-3) * r + 8.3333333333333333e-3) * r + 4.1666666666666667e-2) * r +
	                    1.6666666666666667e-1) * r + 0.5) * r + 1.0) * r + 1.0;
	uint64_t kb, mb;
	memcpy(&kb, &kt, 8);
	memcpy(&mb, &magic, 8);
	const uint64_t eb = (kb - mb + 1023u) << 52;
	double scale;
	memcpy(&scale, &eb, 8);
	return p * scale;
}

// scaled_mills returns Φ(−t)·e^{t²/2} = ½·erfcx(t/√2) for t ≥ 0 as a
// degree-4/5 rational fitted on [0, 13.25] (relative error 1.2e-8).
static inline double scaled_mills(double t) {
	const double p = (((0.0043286796413805123 * t + 0.042045226747194471) * t + 0.18738661020286551) * t +
	                  0.44383235076976862) * t + 0.50000000368919528;
	const double q = ((((0.010850306887092424 * t + 0.1053966382082052) * t + 0.48043739542604647) * t +
	                   1.2196412218171702) * t + 1.6855497977425675) * t + 1.0;
	return p / q;
}

// y = x·Φ(x) = ½·x·(1 + erf(x/√2))   (torch gelu, approximate='none'), in
// double and rounded to float32 once, with the normal tail
// Φ(−|x|) = e^{−x²/2}·scaled_mills(|x|) and Φ(x) = 1 − Φ(−x) for x ≥ 0.
STEADY_CLONES void steady_gelu(float *dst, const float *x, long n) {
	#pragma omp simd
	for (long i = 0; i < n; i++) {
		const double v = x[i], t = v < 0 ? -v : v;
		const double tc = t < STEADY_GELU_MAX_T ? t : STEADY_GELU_MAX_T;
		const double tail = t > STEADY_GELU_MAX_T ? 0.0 : exp_neg_half_sq(tc) * scaled_mills(tc);
		dst[i] = (float)(v * (v < 0 ? tail : 1.0 - tail));
	}
}

// dx = dy·(Φ(x) + x·φ(x)), φ(x) = e^{−x²/2}/√(2π)   (torch gelu_backward), in
// double and rounded to float32 once.
STEADY_CLONES void steady_gelu_backward(float *dx, const float *dy, const float *x, long n) {
	const double inv_sqrt_2pi = 0.3989422804014327;
	#pragma omp simd
	for (long i = 0; i < n; i++) {
		const double v = x[i], t = v < 0 ? -v : v;
		const double tc = t < STEADY_GELU_MAX_T ? t : STEADY_GELU_MAX_T;
		const double e = t > STEADY_GELU_MAX_T ? 0.0 : exp_neg_half_sq(tc), tail = e * scaled_mills(tc);
		dx[i] = (float)((double)dy[i] * ((v < 0 ? tail : 1.0 - tail) + v * inv_sqrt_2pi * e));
	}
}

// exp_or_zero is e^x for x ≤ 0 by exp_poly, and 0 below −87.3 where Exp32
// flushes to 0 (a masked logit of −∞ contributes nothing).
static inline float exp_or_zero(float x) { return x < -87.3f ? 0.0f : exp_poly(x); }

// m = max_j x_j ; s = Σ_j e^{x_j − m} ; d_j = grad_scale·e^{x_j − m}/s
// (the softmax of the cross-entropy row, crossEntropyRow in crossentropy.go).
STEADY_CLONES steady_softmax_sums steady_softmax_row(float *d, const float *x, long n, float grad_scale) {
	float m = x[0];
	#pragma omp simd reduction(max : m)
	for (long j = 1; j < n; j++) m = x[j] > m ? x[j] : m;
	double s = 0;
	if (!d) {
		#pragma omp simd reduction(+ : s)
		for (long j = 0; j < n; j++) s += (double)exp_or_zero(x[j] - m);
		return (steady_softmax_sums){s, m};
	}
	#pragma omp simd reduction(+ : s)
	for (long j = 0; j < n; j++) {
		const float e = exp_or_zero(x[j] - m);
		d[j] = e;
		s += (double)e;
	}
	const float k = (float)((double)grad_scale / s);
	#pragma omp simd
	for (long j = 0; j < n; j++) d[j] *= k;
	return (steady_softmax_sums){s, m};
}

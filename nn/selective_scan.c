//go:build !purego

// The selective scan's inner loops in C, so that the compiler vectorises the
// loops over the state dimension (16 float32 lanes = one zmm on AVX-512) that
// Go runs one element at a time. Same maths as scanChannelsGo in
// selective_scan.go, its readable twin (which computes softplus in float64
// where this uses float32 polynomials, so that it vectorises too); see
// SelectiveScan for the equations. target_clones picks AVX-512, AVX2 or plain
// x86-64 code at load time.
// No FMA contraction: the reference computes Ā·h + B̄u and ⟨C, h⟩ with
// separately rounded products, and contracting them triples the error
// against the fixture (plain.last_state 1.2e-7 → 7.2e-7).
#pragma GCC optimize("fp-contract=off")
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "selective_scan.h"

// exp_poly is e^x by Cephes expf's polynomial, clamped as expScaled in
// selective_scan.go; branch-free so that loops calling it vectorise.
static inline float exp_poly(float x) {
	const float log2e = 1.44269504088896341f, ln2hi = 0.693359375f, ln2lo = -2.12194440e-4f;
	const float magic = 12582912.0f; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
	x = x < -87.3f ? -87.3f : x;
	x = x > 88.0f ? 88.0f : x;
	float t = x * log2e + magic;
	float kf = t - magic;
	float r = x - kf * ln2hi - kf * ln2lo;
	float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
	           1.6666665459e-1f) * r + 5.0000001201e-1f;
	uint32_t tb, mb, eb;
	memcpy(&tb, &t, 4);
	memcpy(&mb, &magic, 4);
	eb = (tb - mb + 127u) << 23;
	float scale;
	memcpy(&scale, &eb, 4);
	return (p * r * r + r + 1.0f) * scale;
}

// log1p_poly is log(1+w) for w in [0, 1]: Cephes logf's polynomial on
// u = 1+w, with Kahan's correction log1p(w) = log(u)·w/(u−1) for the
// rounding of 1+w.
static inline float log1p_poly(float w) {
	float u = 1.0f + w;
	int big = u > 1.41421356f;
	float m = big ? 0.5f * u : u, e = big ? 1.0f : 0.0f;
	float f = m - 1.0f, z = f * f;
	float y = ((((((((7.0376836292e-2f * f - 1.1514610310e-1f) * f + 1.1676998740e-1f) * f - 1.2420140846e-1f) * f +
	               1.4249322787e-1f) * f - 1.6668057665e-1f) * f + 2.0000714765e-1f) * f - 2.4999993993e-1f) * f +
	           3.3333331174e-1f) * f * z;
	y += e * -2.12194440e-4f - 0.5f * z;
	float lg = f + y + e * 0.693359375f;
	float d = u - 1.0f;
	return d == 0.0f ? w : lg * (w / d);
}

// softplus_poly is log(1+e^x) = max(x, 0) + log1p(e^{−|x|}), or x above
// torch's threshold 20.
static inline float softplus_poly(float x) {
	float ax = x < 0 ? -x : x;
	float sp = (x > 0 ? x : 0.0f) + log1p_poly(exp_poly(-ax));
	return x > 20.0f ? x : sp;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void steady_scan_channels(const steady_scan_call *c) {
	const int n = c->n, nd = c->nd;
	float h[STEADY_SCAN_BLOCK * STEADY_SCAN_MAX_STATE]; // (nd, n)
	float dA[STEADY_SCAN_MAX_STATE];                     // Ā of one channel: (n)
	float dts[STEADY_SCAN_BLOCK], gate[STEADY_SCAN_BLOCK]; // Δ and SiLU(z) of the block at time t: (nd)
	if (c->state) {
		memcpy(h, c->state, sizeof(float) * nd * n);
	} else {
		memset(h, 0, sizeof(float) * nd * n);
	}
	for (long t = 0; t < c->seq; t++) {
		const float *u = c->u + t * c->ldu, *delta = c->delta + t * c->lddelta;
		const float *bt = c->b + t * c->ldb, *ct = c->c + t * c->ldc;
		const float *z = c->z ? c->z + t * c->ldz : 0;
		float *out = c->out + t * c->ldout;
		// Δ = softplus(δ + δ_bias) and the gate SiLU(z) of the block's channels
		for (int i = 0; i < nd; i++) dts[i] = delta[i] + (c->delta_bias ? c->delta_bias[i] : 0.0f);
		if (c->delta_softplus) {
			#pragma omp simd
			for (int i = 0; i < nd; i++) dts[i] = softplus_poly(dts[i]);
		}
		if (z) {
			#pragma omp simd
			for (int i = 0; i < nd; i++) gate[i] = z[i] / (1.0f + exp_poly(-z[i]));
		}
		for (int i = 0; i < nd; i++) {
			const float dt = dts[i], ui = u[i], du = dt * ui;
			float *restrict hd = h + i * n;
			const float *restrict ai = c->a + (long)i * n;
			#pragma omp simd
			for (int k = 0; k < n; k++) dA[k] = exp_poly(dt * ai[k]);
			float y = 0;
			// h ← Ā⊙h + Δ·u·B ; y = ⟨C, h⟩
			#pragma omp simd reduction(+ : y)
			for (int k = 0; k < n; k++) {
				float hk = dA[k] * hd[k] + du * bt[k];
				hd[k] = hk;
				y += hk * ct[k];
			}
			if (c->d) y += c->d[i] * ui;
			if (z) y *= gate[i];
			out[i] = y;
		}
	}
	if (c->state) memcpy(c->state, h, sizeof(float) * nd * n);
}

void steady_scan_range(const float *a, const float *d, const float *delta_bias, const float *u, const float *delta,
                       const float *b, const float *c, const float *z, float *out, float *state, long ldu, long lddelta,
                       long ldb, long ldc, long ldz, long ldout, long seq, int n, int dinner, int delta_softplus, long it0,
                       long it1) {
	const long blocks = (dinner + STEADY_SCAN_BLOCK - 1) / STEADY_SCAN_BLOCK;
	for (long it = it0; it < it1; it++) {
		const long bi = it / blocks, d0 = (it % blocks) * STEADY_SCAN_BLOCK, row = bi * seq;
		const int nd = dinner - d0 < STEADY_SCAN_BLOCK ? (int)(dinner - d0) : STEADY_SCAN_BLOCK;
		steady_scan_call call = {
			a + d0 * n, d ? d + d0 : 0, delta_bias ? delta_bias + d0 : 0,
			u + row * ldu + d0, delta + row * lddelta + d0, b + row * ldb, c + row * ldc, z ? z + row * ldz + d0 : 0,
			out + row * ldout + d0, state ? state + (bi * dinner + d0) * n : 0,
			ldu, lddelta, ldb, ldc, ldz, ldout, seq, n, nd, delta_softplus,
		};
		steady_scan_channels(&call);
	}
}

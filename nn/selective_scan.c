//go:build !purego

// The selective scan's inner loops in C, so that the compiler vectorises the
// loops over the state dimension (16 float32 lanes = one zmm on AVX-512) that
// Go runs one element at a time. Same maths as scanChannelsGo in
// selective_scan.go, its readable twin (which rounds softplus in float64 and
// SiLU with Exp32 where this uses libm's float32 functions); see
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

// exp_scaled writes dst[k] = e^{s·a[k]} with Cephes expf's polynomial,
// clamped as expScaled in selective_scan.go.
static inline void exp_scaled(float *restrict dst, const float *restrict a, float s, int n) {
	const float log2e = 1.44269504088896341f, ln2hi = 0.693359375f, ln2lo = -2.12194440e-4f;
	const float magic = 12582912.0f; // 1.5·2²³
	#pragma omp simd
	for (int k = 0; k < n; k++) {
		float x = s * a[k];
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
		dst[k] = (p * r * r + r + 1.0f) * scale;
	}
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void steady_scan_channels(const steady_scan_call *c) {
	const int n = c->n, nd = c->nd;
	float h[STEADY_SCAN_BLOCK * STEADY_SCAN_MAX_STATE]; // (nd, n)
	float dA[STEADY_SCAN_MAX_STATE];                     // Ā of one channel: (n)
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
		for (int i = 0; i < nd; i++) {
			float dt = delta[i];
			if (c->delta_bias) dt += c->delta_bias[i];
			if (c->delta_softplus && dt <= 20.0f) dt = log1pf(expf(dt));
			const float ui = u[i], du = dt * ui;
			float *restrict hd = h + i * n;
			exp_scaled(dA, c->a + (long)i * n, dt, n);
			float y = 0;
			// h ← Ā⊙h + Δ·u·B ; y = ⟨C, h⟩
			#pragma omp simd reduction(+ : y)
			for (int k = 0; k < n; k++) {
				float hk = dA[k] * hd[k] + du * bt[k];
				hd[k] = hk;
				y += hk * ct[k];
			}
			if (c->d) y += c->d[i] * ui;
			if (z) y *= z[i] / (1.0f + expf(-z[i]));
			out[i] = y;
		}
	}
	if (c->state) memcpy(c->state, h, sizeof(float) * nd * n);
}

void steady_scan_channels_args(const float *a, const float *d, const float *delta_bias, const float *u, const float *delta,
                               const float *b, const float *c, const float *z, float *out, float *state, long ldu,
                               long lddelta, long ldb, long ldc, long ldz, long ldout, long seq, int n, int nd,
                               int delta_softplus) {
	steady_scan_call call = {a, d, delta_bias, u, delta, b, c, z, out, state, ldu, lddelta, ldb, ldc, ldz, ldout, seq,
	                         n, nd, delta_softplus};
	steady_scan_channels(&call);
}

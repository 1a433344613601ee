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
#include "scan_math.h"
#include "selective_scan.h"

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

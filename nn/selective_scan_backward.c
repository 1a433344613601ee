//go:build !purego

// The selective scan backward's per-channel loops in C, so that the compiler
// vectorises the loops over the state dimension as it does for the forward
// (selective_scan.c). Same maths as backwardChannel in
// selective_scan_backward.go, its readable twin, which the tests hold it to;
// see SelectiveScan.Backward for the equations. Here the sums over time of dD
// and dδ_bias are kept in registers, and Δ, softplus' and SiLU's derivatives
// use the branch-free polynomials of scan_math.h (as the forward's C kernel
// does) in loops over time that vectorise.
#pragma GCC optimize("fp-contract=off")
#include <string.h>
#include "scan_math.h"
#include "selective_scan_backward.h"

__attribute__((target_clones("avx512f", "avx2", "default")))
void steady_scan_backward_channels(const steady_scan_bwd_call *c) {
	const int n = c->n;
	const long L = c->seq;
	float *restrict hs = c->h, *restrict abar = c->abar, *restrict gh = c->g;
	for (int i = 0; i < c->nd; i++) {
		const float *restrict a = c->a + (long)i * n;
		float *restrict da = c->da + (long)i * n;
		const float *u = c->u + i * L, *delta = c->delta + i * L, *dout = c->dout + i * L;
		const float *z = c->z ? c->z + i * L : 0;
		float *du = c->du + i * L, *ddelta = c->ddelta + i * L, *dz = c->dz ? c->dz + i * L : 0;
		const float dd = c->d ? c->d[i] : 0.0f;
		// Δ_t, ∂Δ_t/∂δ_t and σ(z_t) of the channel, vectorised over time; σ(z_t) waits in dz.
		const float bias = c->delta_bias ? c->delta_bias[i] : 0.0f;
		float *restrict dts = c->dt, *restrict sg = c->spgrad;
		if (c->delta_softplus) {
			#pragma omp simd
			for (long t = 0; t < L; t++) {
				const float v = delta[t] + bias;
				dts[t] = softplus_poly(v);
				sg[t] = v > 20.0f ? 1.0f : sigmoid_poly(v);
			}
		} else {
			for (long t = 0; t < L; t++) {
				dts[t] = delta[t] + bias;
				sg[t] = 1.0f;
			}
		}
		if (z) {
			#pragma omp simd
			for (long t = 0; t < L; t++) dz[t] = sigmoid_poly(z[t]);
		}
		// Forward replay: h_t = ā_t⊙h_{t−1} + Δ_t·u_t·B_t into hs[t+1], keeping ā_t.
		memset(hs, 0, sizeof(float) * n);
		for (long t = 0; t < L; t++) {
			const float dt = dts[t], dtu = dt * u[t];
			const float *restrict bt = c->b + t * c->ldb;
			float *restrict at = abar + t * n;
			const float *restrict prev = hs + t * n;
			float *restrict cur = hs + (t + 1) * n;
			#pragma omp simd
			for (int k = 0; k < n; k++) {
				at[k] = exp_poly(dt * a[k]);
				cur[k] = at[k] * prev[k] + dtu * bt[k];
			}
		}
		memset(gh, 0, sizeof(float) * n);
		float dsum = 0, dbias = 0;
		for (long t = L - 1; t >= 0; t--) {
			const float dt = dts[t], ut = u[t];
			const float *restrict bt = c->b + t * c->ldb, *restrict ct = c->c + t * c->ldc;
			const float *restrict at = abar + t * n, *restrict prev = hs + t * n, *restrict cur = hs + (t + 1) * n;
			float *restrict dbt = c->db + t * n, *restrict dct = c->dc + t * n;
			float dy = dout[t];
			if (z) {
				float y = 0;
				#pragma omp simd reduction(+ : y)
				for (int k = 0; k < n; k++) y += ct[k] * cur[k];
				if (c->d) y += dd * ut;
				const float s = dz[t]; // σ(z_t)
				dz[t] = dy * y * (s * (1.0f + z[t] * (1.0f - s)));
				dy *= z[t] * s;
			}
			float dut = dd * dy, ddt = 0;
			dsum += dy * ut;
			#pragma omp simd reduction(+ : dut, ddt)
			for (int k = 0; k < n; k++) {
				dct[k] += dy * cur[k];
				const float gk = gh[k] + dy * ct[k];
				const float ah = at[k] * prev[k];
				ddt += gk * (a[k] * ah + bt[k] * ut);
				da[k] += gk * dt * ah;
				dbt[k] += gk * dt * ut;
				dut += gk * dt * bt[k];
				gh[k] = gk * at[k];
			}
			ddt *= sg[t];
			du[t] = dut;
			ddelta[t] = ddt;
			dbias += ddt;
		}
		if (c->dd) c->dd[i] += dsum;
		if (c->ddelta_bias) c->ddelta_bias[i] += dbias;
	}
}

void steady_scan_backward_channels_args(const float *a, const float *d, const float *delta_bias, const float *u,
                                        const float *delta, const float *z, const float *dout, const float *b,
                                        const float *c, float *du, float *ddelta, float *dz, float *da, float *dd,
                                        float *ddelta_bias, float *db, float *dc, float *h, float *abar, float *g,
                                        float *dt, float *spgrad, long ldb, long ldc, long seq, int n, int nd,
                                        int delta_softplus) {
	steady_scan_bwd_call call = {a, d, delta_bias, u, delta, z, dout, b, c, du, ddelta, dz, da, dd, ddelta_bias,
	                             db, dc, h, abar, g, dt, spgrad, ldb, ldc, seq, n, nd, delta_softplus};
	steady_scan_backward_channels(&call);
}

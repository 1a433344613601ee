//go:build !purego

// The depthwise causal conv's loops in C, vectorised over channels (16
// float32 lanes per zmm on AVX-512), where Go runs one element at a time.
// The Go twins are forwardGo and backwardGo in conv1d.go and
// conv1d_backward.go: the same products and sums in the same order for every
// element (bias first, then the taps j = 0..W−1; gradients accumulated over
// (b, t) in order), so the two agree bit for bit. No FMA contraction, so
// that each product is rounded as in Go. target_clones picks AVX-512, AVX2 or
// plain x86-64 code at load time.
#pragma GCC optimize("fp-contract=off")
#include "conv1d.h"

#define STEADY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

// out[b,t,c] = bias[c] + Σ_{j<W, s ≥ 0} w[c,j]·x[b,s,c],  s = t−(W−1)+j
STEADY_CLONES void steady_conv_forward(float *out, long ldo, const float *x, long ldx, const float *wt,
                                       const float *bias, long batch, long seq, long ch, int w, long c0, long c1) {
	for (long b = 0; b < batch; b++) {
		for (long t = 0; t < seq; t++) {
			float *restrict o = out + (b * seq + t) * ldo;
			for (long c = c0; c < c1; c++) o[c] = bias ? bias[c] : 0.0f;
			for (long j = (w - 1 - t > 0 ? w - 1 - t : 0); j < w; j++) {
				const float *restrict xs = x + (b * seq + t - (w - 1) + j) * ldx;
				const float *restrict wj = wt + j * ch;
				for (long c = c0; c < c1; c++) o[c] += wj[c] * xs[c];
			}
		}
	}
}

// dx[b,s,c]  = Σ_{j: s+W−1−j < seq} w[c,j]·dout[b, s+W−1−j, c]
// dw[c,j]   += Σ_{b,t: t−(W−1)+j ≥ 0} dout[b,t,c]·x[b, t−(W−1)+j, c]
// dbias[c]  += Σ_{b,t} dout[b,t,c]        (dbias may be NULL)
STEADY_CLONES void steady_conv_backward(float *dx, long lddx, float *dwt, float *dbias, const float *dout, long lddo,
                                        const float *x, long ldx, const float *wt, long batch, long seq, long ch,
                                        int w, long c0, long c1) {
	for (long b = 0; b < batch; b++) {
		for (long s = 0; s < seq; s++) {
			float *restrict d = dx + (b * seq + s) * lddx;
			for (long c = c0; c < c1; c++) d[c] = 0.0f;
			for (long j = (s + w - seq > 0 ? s + w - seq : 0); j < w; j++) {
				const float *restrict g = dout + (b * seq + s + w - 1 - j) * lddo;
				const float *restrict wj = wt + j * ch;
				for (long c = c0; c < c1; c++) d[c] += wj[c] * g[c];
			}
		}
		for (long t = 0; t < seq; t++) {
			const float *restrict g = dout + (b * seq + t) * lddo;
			for (long j = (w - 1 - t > 0 ? w - 1 - t : 0); j < w; j++) {
				const float *restrict xs = x + (b * seq + t - (w - 1) + j) * ldx;
				float *restrict dw = dwt + j * ch;
				for (long c = c0; c < c1; c++) dw[c] += g[c] * xs[c];
			}
			if (dbias) {
				for (long c = c0; c < c1; c++) dbias[c] += g[c];
			}
		}
	}
}

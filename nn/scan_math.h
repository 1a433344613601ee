// Branch-free float32 exp, log1p and softplus for the selective scan's C
// kernels (selective_scan.c, selective_scan_backward.c), so that loops
// calling them vectorise.
#ifndef STEADY_SCAN_MATH_H
#define STEADY_SCAN_MATH_H
#include <stdint.h>
#include <string.h>

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

// sigmoid_poly is σ(x) = 1 / (1 + e^{−x}) with exp_poly.
static inline float sigmoid_poly(float x) { return 1.0f / (1.0f + exp_poly(-x)); }

#endif

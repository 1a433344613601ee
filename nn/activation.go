package nn

import "math"

// SiLU writes dst[i] = x[i]·σ(x[i]) (torch.nn.functional.silu). dst may alias x.
// The default build runs the vectorised C kernel of elementwise.c, the purego
// build siluGo; both give the same bits.
//
//	x, dst: (n)
func SiLU(dst, x []float32) {
	if len(dst) < len(x) {
		panic("nn.SiLU: dst shorter than x")
	}
	silu(dst[:len(x)], x)
}

// siluGo is SiLU's Go twin: y = x / (1 + e^{−x}), with e^{−x} by
// expScaled's branch-free polynomial, inline so the loop has no calls: with
// its clamps, x < −88 gives x·e^x ≈ 0 and x > 87.3 gives x. dst has x's length.
func siluGo(dst, x []float32) {
	for i, v := range x {
		dst[i] = v / (1 + expClamped(-v))
	}
}

// expClamped is e^x by Exp32's polynomial with the argument clamped to
// [−87.3, 88] and rounded to k = round(x·log2e) by adding 1.5·2²³, the
// branch-free form of exp_poly in scan_math.h that the C kernels use.
func expClamped(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
		magic = 12582912 // 1.5·2²³
	)
	e := min(max(x, -87.3), 88)
	t := e*log2e + magic
	k := t - magic
	r := e - k*ln2Hi - k*ln2Lo
	p := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
	return (p*r*r + r + 1) * math.Float32frombits((math.Float32bits(t)-math.Float32bits(magic)+127)<<23)
}

// SiLUScalar returns x·σ(x) = x / (1 + e^{−x}), computed in float32 with Exp32.
func SiLUScalar(x float32) float32 {
	return x / (1 + Exp32(-x))
}

// Softplus writes dst[i] = log(1 + e^{x[i]}) with torch's threshold: values
// above 20 pass through unchanged (torch.nn.functional.softplus, beta 1,
// threshold 20). dst may alias x.
//
//	x, dst: (n)
func Softplus(dst, x []float32) {
	if len(dst) < len(x) {
		panic("nn.Softplus: dst shorter than x")
	}
	for i, v := range x {
		dst[i] = SoftplusScalar(v)
	}
}

// SoftplusScalar returns log1p(exp(x)), or x when x > 20 (torch's threshold),
// computed in float64 and rounded once.
func SoftplusScalar(x float32) float32 {
	if x > 20 {
		return x
	}
	return float32(math.Log1p(math.Exp(float64(x))))
}

// Exp32 returns e^x in float32 to within about 1 ulp over the normal range
// (Cephes expf: x = k·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6
// polynomial, then scaled by 2^k). Results below the smallest normal float32
// flush to 0; x above ~88.72 gives +Inf. It is the scan's inner-loop exp,
// several times faster than math.Exp on float64.
func Exp32(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
		maxX  = 88.72283905206835
		minX  = -87.33654475055310898657 // ln(smallest normal float32)
	)
	if !(x < maxX) { // also NaN
		if x != x {
			return x
		}
		return float32(math.Inf(1))
	}
	if x < minX {
		return 0
	}
	t := x * log2e
	var ki int32
	if t >= 0 { // round to nearest: |r| ≤ ln2/2
		ki = int32(t + 0.5)
	} else {
		ki = int32(t - 0.5)
	}
	k := float32(ki)
	r := x - k*ln2Hi - k*ln2Lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	// 2^k built from its bits; minX ≤ x < maxX keeps k in [-126, 128].
	if ki > 127 {
		return y * 2 * math.Float32frombits(uint32(ki-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(ki+127)<<23)
}

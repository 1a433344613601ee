package nn

import "math"

// GELU applies the exact Gaussian error linear unit element-wise
// (torch.nn.functional.gelu, approximate='none'; Hendrycks & Gimpel 2016, eq. 1):
//
//	y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2))
//
// y may alias x. The default build runs the vectorised C kernel of
// elementwise.c, the purego build geluGo; both give the same bits, within
// 1 ulp of x·Φ(x) (see normalTail).
func GELU(y, x []float32) {
	gelu(y[:len(x)], x)
}

// GELUBackward computes dx = dy · GELU'(x) for the erf form, where
// GELU'(x) = Φ(x) + x·φ(x) with φ the standard normal density. dx may alias
// dy. Like GELU it runs elementwise.c or its twin geluBackwardGo.
func GELUBackward(dx, dy, x []float32) {
	geluBackward(dx[:len(x)], dy[:len(x)], x)
}

// geluGo is GELU's Go twin: y = x·Φ(x) in float64, rounded to float32 once,
// with Φ(x) = Φ(−|x|) for x < 0 and 1 − Φ(−|x|) otherwise. y has x's length.
func geluGo(y, x []float32) {
	for i, v := range x {
		f := float64(v)
		tail, _ := normalTail(f)
		if f >= 0 {
			tail = 1 - tail
		}
		y[i] = float32(f * tail)
	}
}

// geluBackwardGo is GELUBackward's Go twin: dx = dy·(Φ(x) + x·φ(x)) with
// φ(x) = e^{−x²/2}/√(2π), in float64 and rounded to float32 once. dx, dy have
// x's length.
func geluBackwardGo(dx, dy, x []float32) {
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	for i, v := range x {
		f := float64(v)
		cdf, e := normalTail(f)
		if f >= 0 {
			cdf = 1 - cdf
		}
		dx[i] = float32(float64(dy[i]) * (cdf + f*invSqrt2Pi*e))
	}
}

// geluMaxT is the |x| above which normalTail returns 0: x·Φ(−14.5) rounds to 0
// in float32, and e^{−x²/2} stays far from float64's underflow.
const geluMaxT = 14.5

// normalTail returns the standard normal tail Φ(−|x|) = ½·erfc(|x|/√2) and
// e^{−x²/2} of a float32 x, in float64 with the operations of exp_neg_half_sq and
// scaled_mills in elementwise.c, as
//
//	Φ(−t) = e^{−t²/2} · M(t),   M(t) = Φ(−t)·e^{t²/2} = ½·erfcx(t/√2) ≈ P(t)/Q(t)
//
// P/Q is a degree-4/5 rational fitted to M on [0, 13.25] (relative error
// 1.2e-8). t² of a float32 t is exact in float64; e^{−t²/2} is Cody–Waite
// reduction to r ∈ [−ln2/2, ln2/2] and a degree-9 Taylor polynomial (error
// < 1e-11). Working from the tail keeps Φ(x) accurate to relative 3e-8 for
// x → −∞, where 1 + erf(x/√2) cancels. Both are 0 above |x| = geluMaxT.
// A float32 evaluation of P/Q (without FMA) was measured at 5.7 ulp, so the
// kernel keeps float64 lanes.
func normalTail(x float64) (tail, e float64) {
	t := math.Abs(x)
	if t > geluMaxT {
		return 0, 0
	}
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		magic = 6755399441055744.0 // 1.5·2⁵²: adding it rounds to an integer in the low mantissa bits
	)
	a := -0.5 * t * t
	kt := a*log2e + magic
	k := kt - magic
	r := a - k*ln2Hi - k*ln2Lo
	p := ((((((((2.7557319223985893e-6*r+2.4801587301587302e-5)*r+1.9841269841269841e-4)*r+
		1.3888888888888889e-3)*r+8.3333333333333333e-3)*r+4.1666666666666667e-2)*r+
		1.6666666666666667e-1)*r+0.5)*r+1.0)*r + 1.0
	e = p * math.Float64frombits((math.Float64bits(kt)-math.Float64bits(magic)+1023)<<52)
	num := (((0.0043286796413805123*t+0.042045226747194471)*t+0.18738661020286551)*t+
		0.44383235076976862)*t + 0.50000000368919528
	den := ((((0.010850306887092424*t+0.1053966382082052)*t+0.48043739542604647)*t+
		1.2196412218171702)*t+1.6855497977425675)*t + 1.0
	return e * (num / den), e
}

// GELUTanh applies the tanh approximation of GELU element-wise (HF "gelu_new",
// "gelu_fast", "gelu_pytorch_tanh"; Hendrycks & Gimpel 2016, §2):
//
//	y = 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715·x³)))
//
// y may alias x. Computed in float64, stored float32.
func GELUTanh(y, x []float32) {
	const c = 0.7978845608028654 // √(2/π)
	y = y[:len(x)]
	for i, v := range x {
		f := float64(v)
		y[i] = float32(0.5 * f * (1 + math.Tanh(c*(f+0.044715*f*f*f))))
	}
}

// GELUTanhBackward computes dx = dy · d/dx GELUTanh(x): with
// u = √(2/π)(x + 0.044715x³) and τ = tanh u,
// d/dx = 0.5(1 + τ) + 0.5x(1 − τ²)·√(2/π)(1 + 3·0.044715x²). dx may alias dy.
func GELUTanhBackward(dx, dy, x []float32) {
	const c = 0.7978845608028654 // √(2/π)
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		f := float64(v)
		tau := math.Tanh(c * (f + 0.044715*f*f*f))
		dx[i] = dy[i] * float32(0.5*(1+tau)+0.5*f*(1-tau*tau)*c*(1+3*0.044715*f*f))
	}
}

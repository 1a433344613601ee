package nn

import "math"

// GELU applies the exact Gaussian error linear unit element-wise
// (torch.nn.functional.gelu, approximate='none'; Hendrycks & Gimpel 2016, eq. 1):
//
//	y = x · Φ(x) = 0.5 · x · (1 + erf(x / √2))
//
// y may alias x. Computed in float64 (math.Erf), stored float32. A float32
// erf (Abramowitz & Stegun 7.1.26) was measured only 2× faster while off by
// up to 5e-5 relative in the negative tail, so the exact form stays.
func GELU(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		f := float64(v)
		y[i] = float32(0.5 * f * (1 + math.Erf(f/math.Sqrt2)))
	}
}

// GELUBackward computes dx = dy · GELU'(x) for the erf form, where
// GELU'(x) = Φ(x) + x·φ(x) with φ the standard normal density. dx may alias dy.
func GELUBackward(dx, dy, x []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	for i, v := range x {
		f := float64(v)
		cdf := 0.5 * (1 + math.Erf(f/math.Sqrt2))
		dx[i] = dy[i] * float32(cdf+f*invSqrt2Pi*math.Exp(-0.5*f*f))
	}
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

package nn

// SiLUBackward computes dx = dy · SiLU'(x), where for σ = sigmoid
//
//	d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
//
// (torch silu_backward). dx is written and may alias dy. The default build
// runs the vectorised C kernel of elementwise.c, the purego build
// siluBackwardGo; both give the same bits.
//
//	x, dy, dx: (n)
func SiLUBackward(dx, dy, x []float32) {
	siluBackward(dx[:len(x)], dy[:len(x)], x)
}

// siluBackwardGo is SiLUBackward's Go twin, with σ(x) = 1/(1 + e^{−x}) by
// expClamped (SiLU's exp), which differs from siluGrad's Exp32 only by an
// ulp near the ties of its rounding and below x = −87.3. dx, dy have x's length.
func siluBackwardGo(dx, dy, x []float32) {
	for i, v := range x {
		s := 1 / (1 + expClamped(-v))
		dx[i] = dy[i] * (s * (1 + v*(1-s)))
	}
}

// siluGrad returns SiLU'(x) = σ(x)·(1 + x·(1 − σ(x))), in float32 with Exp32.
func siluGrad(x float32) float32 {
	s := 1 / (1 + Exp32(-x))
	return s * (1 + x*(1-s))
}

// SoftplusBackward computes dx = dy · Softplus'(x) = dy·σ(x), and dx = dy
// above torch's threshold 20 where Softplus passes x through
// (torch softplus_backward, beta 1). dx is written and may alias dy.
//
//	x, dy, dx: (n)
func SoftplusBackward(dx, dy, x []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		dx[i] = dy[i] * softplusGrad(v)
	}
}

// softplusGrad returns Softplus'(x): σ(x), or 1 above the threshold 20.
func softplusGrad(x float32) float32 {
	if x > 20 {
		return 1
	}
	return 1 / (1 + Exp32(-x))
}

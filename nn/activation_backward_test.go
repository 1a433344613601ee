package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestActivationGradients checks every element-wise activation's backward
// against finite differences of its float64 twin, on random inputs plus the
// points where the formulas switch (softplus's threshold 20).
func TestActivationGradients(t *testing.T) {
	cases := []struct {
		name     string
		forward  func(y, x []float32)
		backward func(dx, dy, x []float32)
		twin     func(x float64) float64
	}{
		{"silu", SiLU, SiLUBackward, func(x float64) float64 { return x * sigmoid64(x) }},
		{"softplus", Softplus, SoftplusBackward, func(x float64) float64 {
			if x > 20 {
				return x
			}
			return math.Log1p(math.Exp(x))
		}},
		{"gelu_erf", GELU, GELUBackward, func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }},
		{"gelu_tanh", GELUTanh, GELUTanhBackward, func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(19, uint64(len(c.name))))
			x := append(randSlice(r, 40, 3), -30, -12, -1e-3, 0, 1e-3, 12, 19.5, 20.5, 30)
			y := make([]float32, len(x))
			c.forward(y, x)
			w, dy := gradPoint(r, len(x))
			dx := make([]float32, len(x))
			c.backward(dx, dy, x)
			x64 := to64(x)
			twin := func() []float64 {
				y := make([]float64, len(x64))
				for i, v := range x64 {
					y[i] = c.twin(v)
				}
				return y
			}
			checkGradCase(t, gradCase{twin: twin, forward32: y, w: w, tensors: []fdTensor{{"x", x64, dx}}})
			c.backward(dy, dy, x) // in place: dx aliases dy
			requireClose(t, "dx in place", dy, dx, 0, 0)
		})
	}
}

package nn

import (
	"math"
	"testing"
)

func TestGELU(t *testing.T) {
	// Values of 0.5·x·(1+erf(x/√2)) and its tanh form, computed with Python's math in float64.
	cases := []struct {
		name     string
		f        func(y, x []float32)
		x, wantY []float64
	}{
		{"exact_erf", GELU,
			[]float64{-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6},
			[]float64{-6.0 * 0.5 * math.Erfc(6/math.Sqrt2), -3 * 0.5 * math.Erfc(3/math.Sqrt2), -0.15865525393145707, -0.15426876936299344, 0, 0.34573123063700656, 0.8413447460685429, 2.99595030590511, 6 - 6*0.5*math.Erfc(6/math.Sqrt2)}},
		{"tanh_approximation", GELUTanh,
			[]float64{-3, -1, 0, 0.5, 1, 3},
			[]float64{-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 0.8411919906082768, 2.996362607918227}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := make([]float32, len(c.x))
			want := make([]float32, len(c.x))
			for i := range x {
				x[i], want[i] = float32(c.x[i]), float32(c.wantY[i])
			}
			y := make([]float32, len(x))
			c.f(y, x)
			requireClose(t, "y", y, want, 1e-7, 1e-6)
			c.f(x, x) // in place
			requireClose(t, "y in place", x, want, 1e-7, 1e-6)
		})
	}
}

func BenchmarkGELU(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i%2000-1000) / 250
	}
	y := make([]float32, len(x))
	for _, c := range []struct {
		name string
		f    func(y, x []float32)
	}{{"erf", GELU}, {"tanh", GELUTanh}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				c.f(y, x)
			}
		})
	}
}

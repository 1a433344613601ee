package nn

import (
	"math"
	"testing"
)

func TestExp32WithinTwoUlp(t *testing.T) {
	worst := 0.0
	for x := -87.0; x < 88.5; x += 0.00137 {
		got := float64(Exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
		if e := math.Abs(got-want) / ulp; e > worst {
			worst = e
			if e > 2 {
				t.Fatalf("Exp32(%g) = %g, want %g (%.2f ulp)", x, got, want, e)
			}
		}
	}
	t.Logf("worst error %.2f ulp", worst)
	for _, tc := range []struct {
		name string
		x    float32
		want float32
	}{
		{"underflow_to_zero", -100, 0},
		{"zero", 0, 1},
		{"overflow_to_inf", 89, float32(math.Inf(1))},
	} {
		if got := Exp32(tc.x); got != tc.want {
			t.Errorf("%s: Exp32(%g) = %g, want %g", tc.name, tc.x, got, tc.want)
		}
	}
	if v := Exp32(float32(math.NaN())); v == v {
		t.Errorf("Exp32(NaN) = %g, want NaN", v)
	}
}

func TestSoftplusAndSiLU(t *testing.T) {
	for _, tc := range []struct {
		name           string
		x              float32
		softplus, silu float64
	}{
		{"zero", 0, math.Ln2, 0},
		{"negative", -3, math.Log1p(math.Exp(-3)), -3 / (1 + math.Exp(3))},
		{"positive", 2.5, math.Log1p(math.Exp(2.5)), 2.5 / (1 + math.Exp(-2.5))},
		{"above_threshold_passes_through", 25, 25, 25 / (1 + math.Exp(-25))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := []float32{tc.x}
			sp, si := make([]float32, 1), make([]float32, 1)
			Softplus(sp, x)
			SiLU(si, x)
			requireClose(t, "softplus", sp, []float32{float32(tc.softplus)}, 0, 1e-6)
			requireClose(t, "silu", si, []float32{float32(tc.silu)}, 1e-7, 1e-6)
		})
	}
}

func TestSiLUSliceMatchesFloat64(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lo    float64
		hi    float64
		count int
	}{
		{"moderate_-10_to_10", -10, 10, 20001},
		{"tails_-120_to_120", -120, 120, 4801},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := make([]float32, tc.count)
			want := make([]float32, tc.count)
			for i := range x {
				v := tc.lo + (tc.hi-tc.lo)*float64(i)/float64(tc.count-1)
				x[i] = float32(v)
				f := float64(x[i])
				want[i] = float32(f / (1 + math.Exp(-f)))
			}
			got := make([]float32, len(x))
			SiLU(got, x)
			requireClose(t, "silu", got, want, 1e-30, 4e-7)
			SiLU(x, x) // in place
			requireClose(t, "silu_in_place", x, want, 1e-30, 4e-7)
		})
	}
}

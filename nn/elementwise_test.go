package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// elementwiseInputs is a dense sweep of [−lo, hi] plus the points where the
// kernels switch formulas or saturate.
func elementwiseInputs(lo, hi float64, count int) []float32 {
	x := make([]float32, 0, count+16)
	for i := range count {
		x = append(x, float32(lo+(hi-lo)*float64(i)/float64(count-1)))
	}
	inf := float32(math.Inf(1))
	return append(x, 0, float32(math.Copysign(0, -1)), -87.3, 87.3, -88, 88, -14.5, 14.5, -14.6, 14.6, 1e-30, -1e-30, inf, -inf)
}

// ulpDiff is the distance between got and want in float32 ulps at want
// (spacing 2⁻¹⁴⁹ for subnormals); 0 when both are NaN or the same infinity.
func ulpDiff(got float32, want float64) float64 {
	if got == float32(want) || (got != got && want != want) {
		return 0
	}
	w := float32(math.Abs(want))
	ulp := float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
	return math.Abs(float64(got)-want) / ulp
}

// TestElementwiseMatchesGoTwin holds the kernels the build runs (C by
// default) to their Go twins. With no FMA on either side (Go fuses only for
// GOAMD64 ≥ v3) they agree bit for bit; the test allows 2 ulp for such builds.
func TestElementwiseMatchesGoTwin(t *testing.T) {
	x := elementwiseInputs(-120, 120, 48001)
	r := rand.New(rand.NewPCG(23, 29))
	dy := randSlice(r, len(x), 1)
	cases := []struct {
		name       string
		fast, twin func(y []float32)
	}{
		{"silu", func(y []float32) { SiLU(y, x) }, func(y []float32) { siluGo(y, x) }},
		{"silu_backward", func(y []float32) { SiLUBackward(y, dy, x) }, func(y []float32) { siluBackwardGo(y, dy, x) }},
		{"gelu", func(y []float32) { GELU(y, x) }, func(y []float32) { geluGo(y, x) }},
		{"gelu_backward", func(y []float32) { GELUBackward(y, dy, x) }, func(y []float32) { geluBackwardGo(y, dy, x) }},
	}
	for _, c := range cases {
		t.Run(c.name+"_"+elementwiseImpl, func(t *testing.T) {
			got, want := make([]float32, len(x)), make([]float32, len(x))
			c.fast(got)
			c.twin(want)
			worst, at := 0.0, -1
			for i := range got {
				if d := ulpDiff(got[i], float64(want[i])); d > worst {
					worst, at = d, i
				}
			}
			if worst > 2 {
				t.Fatalf("max %.3g ulp from the Go twin at x = %g: got %g want %g", worst, x[at], got[at], want[at])
			}
			t.Logf("max %.3g ulp from the Go twin", worst)
		})
	}
}

// TestElementwiseAccuracy measures each kernel on a dense sweep against its
// float64 definition: forward kernels in ulps of the float32 result, backward
// kernels (bounded derivatives) in absolute error of y' (dy = 1).
func TestElementwiseAccuracy(t *testing.T) {
	gelu64 := func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }
	geluGrad64 := func(x float64) float64 {
		return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
	}
	siluGrad64 := func(x float64) float64 { s := sigmoid64(x); return s * (1 + x*(1-s)) }
	cases := []struct {
		name    string
		run     func(y, x []float32)
		ref     func(x float64) float64
		ulps    bool    // error in ulps of the result, else absolute
		maxErr  float64 // bound on the error
		lo, hi  float64 // sweep
		samples int
	}{
		{"gelu_ulp", GELU, gelu64, true, 1, -16, 16, 2_000_001},
		{"gelu_backward_abs", func(y, x []float32) { GELUBackward(y, ones(len(x)), x) }, geluGrad64, false, 1.2e-7, -16, 16, 2_000_001},
		// Below −87.3 the exp's clamp leaves SiLU near −1e-37 instead of x·e^x.
		{"silu_ulp", SiLU, func(x float64) float64 { return x * sigmoid64(x) }, true, 4, -87, 87, 2_000_001},
		// 1 − σ(x) rounds with error ulp(1)/2, which x·(1 − σ) scales to ~17·6e-8
		// before σ(x) rounds to 1 (torch's float32 formula does the same).
		{"silu_backward_abs", func(y, x []float32) { SiLUBackward(y, ones(len(x)), x) }, siluGrad64, false, 1.1e-6, -90, 90, 2_000_001},
	}
	for _, c := range cases {
		t.Run(c.name+"_"+elementwiseImpl, func(t *testing.T) {
			x := elementwiseInputs(c.lo, c.hi, c.samples)
			x = x[:len(x)-2] // the sweep's metrics do not take ±Inf
			y := make([]float32, len(x))
			c.run(y, x)
			worst, at := 0.0, 0
			for i, v := range x {
				want := c.ref(float64(v))
				e := math.Abs(float64(y[i]) - want)
				if c.ulps {
					e = ulpDiff(y[i], want)
				}
				if e > worst {
					worst, at = e, i
				}
			}
			t.Logf("max error %.3g at x = %g (got %g, want %.9g)", worst, x[at], y[at], c.ref(float64(x[at])))
			if worst > c.maxErr {
				t.Errorf("max error %.3g at x = %g exceeds %g", worst, x[at], c.maxErr)
			}
		})
	}
}

// TestNormalTailAccuracy measures Φ(x) = ½·erfc(−x/√2), the float32 GELU's
// erf, rounded to float32, in ulps against float64's math.Erfc on a dense
// sweep of [−14, 14].
func TestNormalTailAccuracy(t *testing.T) {
	worst, at := 0.0, 0.0
	for i := range 2_800_001 {
		x := float64(float32(-14 + 1e-5*float64(i)))
		tail, _ := normalTail(x)
		if x >= 0 {
			tail = 1 - tail
		}
		if e := ulpDiff(float32(tail), 0.5*math.Erfc(-x/math.Sqrt2)); e > worst {
			worst, at = e, x
		}
	}
	t.Logf("Φ: max error %.3g ulp at x = %g", worst, at)
	if worst > 1 {
		t.Errorf("Φ: max error %.3g ulp at x = %g, want ≤ 1", worst, at)
	}
}

// TestSoftmaxRowMatchesGoTwin holds the cross-entropy row's softmax kernel
// to softmaxRowGo on rows of several lengths, including −∞ (masked) logits.
func TestSoftmaxRowMatchesGoTwin(t *testing.T) {
	for _, c := range []struct {
		name  string
		n     int
		scale float32
	}{{"n1", 1, 1}, {"n17", 17, 3}, {"n4099_wide", 4099, 40}, {"n50304_pythia_vocab", 50304, 3}} {
		t.Run(c.name+"_"+elementwiseImpl, func(t *testing.T) {
			r := rand.New(rand.NewPCG(31, uint64(c.n)))
			x := randSlice(r, c.n, c.scale)
			if c.n > 2 {
				x[1] = float32(math.Inf(-1))
			}
			got, want := make([]float32, c.n), make([]float32, c.n)
			m, s := softmaxRow(got, x, 0.25)
			wm, ws := softmaxRowGo(want, x, 0.25)
			lm, ls := softmaxRow(nil, x, 0.25)
			if m != wm || lm != wm || math.Abs(s-ws) > 1e-12*ws || ls != s {
				t.Fatalf("max, sum %g, %.17g (loss only %g, %.17g), want %g, %.17g", m, s, lm, ls, wm, ws)
			}
			requireClose(t, "d", got, want, 0, 1.2e-7)
		})
	}
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

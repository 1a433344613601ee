package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The shared finite-difference harness every backward in nn is checked with.
//
// A case differentiates a float64 twin of the op's forward, reduced to the
// scalar L = Σ_i w_i·y_i with random weights w, by central differences
//
//	∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h,   h = fdStep·max(1, |x_j|)
//
// and compares the result with the analytic gradient the float32 backward
// produced for dy = w. In float64 the truncation error (~h²) and the rounding
// error (~1e-16·|L|/h) of the differences are both near 1e-10, so what the
// comparison measures is the float32 backward itself: it fails when
//
//	|analytic − numeric| > fdAtol·max_j|numeric_j| + fdRtol·|numeric_j|
//
// for some j. The harness also checks the float32 forward against the twin at
// the same point (forwardRtol), so a twin cannot drift from the kernel whose
// gradient it vouches for.
const (
	fdStep      = 1e-6
	fdAtol      = 2e-5 // relative to the largest gradient of the tensor
	fdRtol      = 2e-3
	forwardAtol = 1e-5
	forwardRtol = 1e-4
)

// fdTensor is one input or parameter of a case: its value in float64, which
// the harness perturbs in place (and restores), and the analytic gradient to
// check, in the same layout.
type fdTensor struct {
	name string
	val  []float64
	grad []float32
}

// gradCase is one point at which to check an op's gradients.
type gradCase struct {
	twin      func() []float64 // float64 twin of the forward at the current tensor values
	forward32 []float32        // the float32 kernel's output at the point, same layout as twin's
	w         []float64        // loss weights: L = Σ w·twin(); the backward was given dy = w
	tensors   []fdTensor
}

// checkGradCase runs the forward comparison and the finite-difference check of
// every tensor of c, and logs the largest relative error of each.
func checkGradCase(t *testing.T, c gradCase) {
	t.Helper()
	y := c.twin()
	if len(y) != len(c.w) || len(y) != len(c.forward32) {
		t.Fatalf("twin gives %d outputs, forward %d, weights %d", len(y), len(c.forward32), len(c.w))
	}
	requireClose(t, "forward vs float64 twin", c.forward32, to32(y), forwardAtol, forwardRtol)
	loss := func() float64 {
		var s float64
		for i, v := range c.twin() {
			s += c.w[i] * v
		}
		return s
	}
	for _, ts := range c.tensors {
		if len(ts.grad) != len(ts.val) {
			t.Fatalf("%s: gradient has %d elements, value %d", ts.name, len(ts.grad), len(ts.val))
		}
		num := make([]float64, len(ts.val))
		for j, v := range ts.val {
			h := fdStep * max(1, math.Abs(v))
			ts.val[j] = v + h
			lp := loss()
			ts.val[j] = v - h
			lm := loss()
			ts.val[j] = v
			num[j] = (lp - lm) / (2 * h)
		}
		maxAbs, maxRel, bad, scale := gradReport(ts.grad, num)
		if bad >= 0 {
			t.Errorf("d%s: max abs %.3g, max rel %.3g (largest |grad| %.3g); first bad index %d: analytic %g, finite difference %g",
				ts.name, maxAbs, maxRel, scale, bad, ts.grad[bad], num[bad])
			continue
		}
		t.Logf("d%s: max abs %.3g, max rel %.3g over %d elements", ts.name, maxAbs, maxRel, len(num))
	}
}

// gradReport compares an analytic gradient with its finite differences: the
// largest absolute error, the largest relative error over the elements where
// the relative tolerance governs (|numeric| ≥ fdAtol/fdRtol·scale), the first
// index outside the tolerance (-1 if none) and the scale = max|numeric|.
func gradReport(got []float32, num []float64) (maxAbs, maxRel float64, firstBad int, scale float64) {
	for _, v := range num {
		scale = max(scale, math.Abs(v))
	}
	firstBad = -1
	for j, n := range num {
		d := math.Abs(float64(got[j]) - n)
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
		if n != 0 && math.Abs(n) >= fdAtol/fdRtol*scale { // below, fdAtol governs and the ratio is rounding noise
			maxRel = max(maxRel, d/math.Abs(n))
		}
		if firstBad < 0 && d > fdAtol*scale+fdRtol*math.Abs(n) {
			firstBad = j
		}
	}
	return maxAbs, maxRel, firstBad, scale
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// gradPoint draws the loss weights w (exact in float32, so the backward's dy
// equals them) for an op with n outputs.
func gradPoint(r *rand.Rand, n int) (w []float64, dy []float32) {
	dy = randSlice(r, n, 1)
	return to64(dy), dy
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// accumulated returns got − start: what a backward added to a parameter
// gradient that held start before the call.
func accumulated(got, start []float32) []float32 {
	d := make([]float32, len(got))
	for i := range got {
		d[i] = got[i] - start[i]
	}
	return d
}

package mamba

import (
	"math"
	"testing"
)

// requireClose fails when |got−want| > atol anywhere, printing max-abs,
// max-rel and the first bad index, and logs the max-abs seen otherwise.
func requireClose(t testing.TB, name string, got, want []float32, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	var maxAbs, maxRel float64
	bad := -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
		if w := math.Abs(float64(want[i])); w > 0 {
			maxRel = max(maxRel, d/w)
		}
		if bad < 0 && d > atol {
			bad = i
		}
	}
	if bad >= 0 {
		t.Errorf("%s: max abs %.3g, max rel %.3g; first bad index %d: got %g want %g (atol %g)", name, maxAbs, maxRel, bad, got[bad], want[bad], atol)
		return
	}
	t.Logf("%s: max abs %.3g (atol %g)", name, maxAbs, atol)
}

//go:build cgo && !purego

package mamba

import (
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/nn"
)

// TestDecodeStepAllocations checks, in the cgo build (the pure-Go GEMM
// fallback allocates its goroutines), that a decode step allocates only the
// logits it returns, in every format: the rounded operands live in pooled
// scratch.
func TestDecodeStepAllocations(t *testing.T) {
	for _, cast := range []nn.Autocast{nn.AutocastOff, nn.AutocastF16, nn.AutocastBF16} {
		t.Run(cast.String(), func(t *testing.T) {
			m := fixtureModel(t, fixture.Path(t, "mamba1"), false)
			m.SetPrecision(cast)
			s := m.NewMambaState(2)
			step := []int32{1, 2}
			if _, err := m.Forward(step, 2, 1, s); err != nil { // warms the buffers and pools
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(10, func() {
				if _, err := m.Forward(step, 2, 1, s); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > 1 {
				t.Errorf("%g allocations per decode step, want 1 (the logits)", allocs)
			}
		})
	}
}

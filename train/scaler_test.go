package train

import (
	"math"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// TestLossScalerUpdate runs sequences of clean and overflowing steps through the scaler and
// checks GradScaler's rules: ×2 after 2000 clean steps in a row, ×0.5 and a skip on overflow.
func TestLossScalerUpdate(t *testing.T) {
	type run struct {
		finite bool
		n      int
	}
	cases := []struct {
		name                              string
		runs                              []run
		scale                             float32
		tracker, skipped, consecutiveSkip int
	}{
		{"defaults", nil, 65536, 0, 0, 0},
		{"1999 clean steps", []run{{true, 1999}}, 65536, 1999, 0, 0},
		{"2000 clean steps grow", []run{{true, 2000}}, 131072, 0, 0, 0},
		{"overflow backs off", []run{{true, 2001}, {false, 1}}, 65536, 0, 1, 1},
		{"overflow resets the growth tracker", []run{{true, 1999}, {false, 1}, {true, 1999}}, 32768, 1999, 1, 0},
		{"regrowth after an overflow", []run{{false, 1}, {true, 2000}}, 65536, 0, 1, 0},
		{"consecutive skips", []run{{false, 2}, {true, 1}, {false, 3}}, 2048, 0, 5, 3},
		{"no growth past fp32", []run{{true, 2000 * 128}}, 0x1p127, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewLossScaler()
			for _, r := range c.runs {
				for range r.n {
					s.Update(r.finite)
				}
			}
			if s.Scale != c.scale || s.GrowthTracker != c.tracker || s.Skipped != c.skipped || s.ConsecutiveSkipped != c.consecutiveSkip {
				t.Errorf("scale %g tracker %d skipped %d consecutive %d, want %g %d %d %d",
					s.Scale, s.GrowthTracker, s.Skipped, s.ConsecutiveSkipped, c.scale, c.tracker, c.skipped, c.consecutiveSkip)
			}
		})
	}
}

// TestLossScalerUnscaleStored checks the half-stored unscale g ← round(round(g)·inv) against
// values worked out by hand.
func TestLossScalerUnscaleStored(t *testing.T) {
	cases := []struct {
		name   string
		format nn.Autocast
		scale  float32
		grad   []float32
		finite bool
		want   []float32
	}{
		// 102.4 → fp16 102.375 (10 significant bits), then /1024 exactly.
		{"f16 rounds the scaled grad", nn.AutocastF16, 1024, []float32{102.4, -1024}, true, []float32{102.375 / 1024, -1}},
		// 65520 rounds to inf in fp16: the overflow loss scaling detects.
		{"f16 overflow", nn.AutocastF16, 65536, []float32{65520, 1}, false, nil},
		// 2^-10/2^16 = 2^-26 is under half fp16's smallest subnormal 2^-24: flushed to 0.
		{"f16 underflow after unscale", nn.AutocastF16, 65536, []float32{0x1p-10}, true, []float32{0}},
		// bf16 has fp32's range: no overflow, 8 significant bits.
		{"bf16", nn.AutocastBF16, 65536, []float32{65520 * 4, 1.00390625 * 65536}, true, []float32{4, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Param{Name: "w", Shape: []int{len(c.grad)}, Grad: c.grad}
			s := NewLossScaler()
			s.Scale = c.scale
			if got := s.unscaleStored([]*Param{p}, c.format); got != c.finite {
				t.Fatalf("finite = %v, want %v (grad %v)", got, c.finite, p.Grad)
			}
			if c.want != nil && !slices.Equal(p.Grad, c.want) {
				t.Errorf("grad %v, want %v", p.Grad, c.want)
			}
		})
	}
}

func TestLossScalerUnscale(t *testing.T) {
	cases := []struct {
		name   string
		grad   []float32
		finite bool
		want   []float32
	}{
		{"finite", []float32{65536, -32768, 1}, true, []float32{1, -0.5, 1.0 / 65536}},
		{"inf", []float32{1, float32(math.Inf(1))}, false, nil},
		{"nan", []float32{float32(math.NaN()), 1}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &Param{Name: "w", Shape: []int{len(c.grad)}, Grad: c.grad}
			if got := NewLossScaler().Unscale([]*Param{p}); got != c.finite {
				t.Fatalf("finite = %v, want %v", got, c.finite)
			}
			for i, w := range c.want {
				if p.Grad[i] != w {
					t.Errorf("grad %v, want %v", p.Grad, c.want)
					break
				}
			}
		})
	}
}

package train

import (
	"math"
	"testing"
)

func TestLossScalerGrowsAndBacksOff(t *testing.T) {
	s := NewLossScaler()
	if s.Scale != 65536 {
		t.Fatalf("initial scale %v, want 2^16", s.Scale)
	}
	for range 1999 {
		if err := s.Update(true); err != nil {
			t.Fatal(err)
		}
	}
	if s.Scale != 65536 {
		t.Fatalf("scale %v after 1999 clean steps, want unchanged", s.Scale)
	}
	s.Update(true)
	if s.Scale != 131072 || s.GrowthTracker != 0 {
		t.Fatalf("after 2000 clean steps: scale %v tracker %d, want 2^17 and 0", s.Scale, s.GrowthTracker)
	}
	s.Update(true)
	s.Update(false)
	if s.Scale != 65536 || s.GrowthTracker != 0 || s.Skipped != 1 {
		t.Fatalf("after an overflow: scale %v tracker %d skipped %d, want 2^16, 0, 1", s.Scale, s.GrowthTracker, s.Skipped)
	}
}

func TestLossScalerStopsWhenScaleVanishes(t *testing.T) {
	s := NewLossScaler()
	var err error
	for i := 0; err == nil && i < 100; i++ {
		err = s.Update(false)
	}
	if err == nil {
		t.Fatal("a scaler that never sees finite gradients never gives up")
	}
	t.Log(err)
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

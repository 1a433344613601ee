package train

import (
	"fmt"
	"testing"
)

func TestScheduleFactor(t *testing.T) {
	// Hand-computed from HF's lr_lambda with 2 warm-up steps and 10 in all.
	cases := []struct {
		s    Schedule
		step int
		want float64
	}{
		{Linear, 0, 0}, {Linear, 1, 0.5}, {Linear, 2, 1}, {Linear, 3, 7.0 / 8}, {Linear, 6, 0.5},
		{Linear, 9, 1.0 / 8}, {Linear, 10, 0}, {Linear, 12, 0},
		{Cosine, 0, 0}, {Cosine, 1, 0.5}, {Cosine, 2, 1},
		// 0.5·(1 + cos(π·4/8)): cos(fl(π/2)) = 6.123233995736766e-17
		{Cosine, 6, 0.5 * (1 + 6.123233995736766e-17)},
		// 0.5·(1 + cos(π)) = 0; past the end the cosine rises again, as in HF
		{Cosine, 10, 0}, {Cosine, 12, 0.14644660940672616}, // 0.5·(1 + cos(5π/4))
		{Cosine, 4, 0.8535533905932737}, // 0.5·(1 + cos(π/4)), cos(fl(π/4)) = 0.7071067811865476
		{ConstantWithWarmup, 0, 0}, {ConstantWithWarmup, 1, 0.5}, {ConstantWithWarmup, 2, 1}, {ConstantWithWarmup, 9, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/step%d", c.s, c.step), func(t *testing.T) {
			if got := c.s.Factor(c.step, 2, 10); got != c.want {
				t.Errorf("Factor = %v, want %v", got, c.want)
			}
		})
	}
}

func TestScheduleNoWarmup(t *testing.T) {
	if got := Linear.Factor(0, 0, 4); got != 1 {
		t.Errorf("linear without warm-up starts at %v, want 1", got)
	}
	if got := Cosine.Factor(0, 0, 4); got != 1 {
		t.Errorf("cosine without warm-up starts at %v, want 1", got)
	}
	if got := ConstantWithWarmup.Factor(3, 0, 4); got != 1 {
		t.Errorf("constant = %v, want 1", got)
	}
}

func TestScheduleLRIsLambdaLR(t *testing.T) {
	// Update k uses λ(k−1): the first update of a warm-up schedule has lr 0, as in HF.
	for k, want := range map[int]float64{1: 0, 2: 3e-4 * 0.5, 3: 3e-4, 4: 3e-4 * (7.0 / 8)} {
		if got := Linear.LR(3e-4, k, 2, 10); got != want {
			t.Errorf("LR(update %d) = %v, want %v", k, got, want)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	for name, want := range map[string]Schedule{"linear": Linear, "cosine": Cosine, "constant": ConstantWithWarmup, "constant_with_warmup": ConstantWithWarmup} {
		if got, err := ParseSchedule(name); err != nil || got != want {
			t.Errorf("ParseSchedule(%q) = %q, %v", name, got, err)
		}
	}
	if _, err := ParseSchedule("polynomial"); err == nil {
		t.Error("ParseSchedule(polynomial): no error")
	}
}

func ExampleSchedule_LR() {
	// The learning rate of each of 6 updates: 2 warm-up steps, then linear decay.
	for k := 1; k <= 6; k++ {
		fmt.Printf("%.4g ", Linear.LR(1e-3, k, 2, 6))
	}
	// Output: 0 0.0005 0.001 0.00075 0.0005 0.00025
}

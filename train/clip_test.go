package train

import (
	"math"
	"testing"
)

func TestClipGradNorm(t *testing.T) {
	cases := []struct {
		name    string
		grads   [][]float32
		maxNorm float64
		norm    float32
		want    [][]float32
	}{
		// ‖(3,4)‖ = 5, ‖(12)‖ = 12, total 13: every grad × fl32(1/(13+1e-6))·1.
		{"clipped", [][]float32{{3, 4}, {12}}, 1, 13, [][]float32{{3 * (1 / (13 + float32(1e-6))), 4 * (1 / (13 + float32(1e-6)))}, {12 * (1 / (13 + float32(1e-6)))}}},
		// Below the limit the coefficient clamps to 1 and the grads are multiplied by 1.
		{"below limit", [][]float32{{0.3, 0.4}}, 1, 0.5, [][]float32{{0.3, 0.4}}},
		// Tail elements past a multiple of 8 go through the same fused sum.
		{"tail", [][]float32{{1, 1, 1, 1, 1, 1, 1, 1, 1}}, 100, 3, [][]float32{{1, 1, 1, 1, 1, 1, 1, 1, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var params []*Param
			for i, g := range c.grads {
				params = append(params, &Param{Name: string(rune('a' + i)), Shape: []int{len(g)}, Grad: append([]float32(nil), g...)})
			}
			if got := ClipGradNorm(params, c.maxNorm); got != c.norm {
				t.Errorf("norm %v, want %v", got, c.norm)
			}
			for i, p := range params {
				for j := range p.Grad {
					if p.Grad[j] != c.want[i][j] {
						t.Errorf("grad %d = %v, want %v", i, p.Grad, c.want[i])
						break
					}
				}
			}
		})
	}
}

func TestClipCoefNonFinite(t *testing.T) {
	if c := ClipCoef(float32(math.NaN()), 1); !math.IsNaN(float64(c)) {
		t.Errorf("ClipCoef(NaN) = %v, want NaN as torch gives", c)
	}
	if c := ClipCoef(float32(math.Inf(1)), 1); c != 0 {
		t.Errorf("ClipCoef(+Inf) = %v, want 0", c)
	}
}

package nn

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// linearTwin is y = x·Wᵀ + b in float64.
func linearTwin(x, w, b []float64, rows, in, out int) []float64 {
	y := make([]float64, rows*out)
	for r := range rows {
		for o := range out {
			var s float64
			if b != nil {
				s = b[o]
			}
			for i := range in {
				s += x[r*in+i] * w[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

func TestLinearGradient(t *testing.T) {
	cases := []struct {
		name          string
		rows, in, out int
		bias          bool
	}{
		{"rows1_in1_out1", 1, 1, 1, true},
		{"rows3_in5_out4_bias", 3, 5, 4, true},
		{"rows6_in7_out2_nobias", 6, 7, 2, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(c.rows*c.in)))
			var b []float32
			if c.bias {
				b = randSlice(r, c.out, 1)
			}
			l, err := NewLinear(randSlice(r, c.out*c.in, 1), b, c.in, c.out)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, c.rows*c.in, 1)
			y := make([]float32, c.rows*c.out)
			l.Forward(y, x, c.rows)
			w, dy := gradPoint(r, len(y))
			dx := randSlice(r, len(x), 1)
			dW0 := randSlice(r, len(l.Weight), 1)
			dW := slices.Clone(dW0)
			var db0, db []float32
			if c.bias {
				db0 = randSlice(r, c.out, 1)
				db = slices.Clone(db0)
			}
			l.Backward(dx, dW, db, dy, x, c.rows)
			x64, w64 := to64(x), to64(l.Weight)
			var b64 []float64
			tensors := []fdTensor{{"x", x64, dx}, {"W", w64, accumulated(dW, dW0)}}
			if c.bias {
				b64 = to64(b)
				tensors = append(tensors, fdTensor{"b", b64, accumulated(db, db0)})
			}
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return linearTwin(x64, w64, b64, c.rows, c.in, c.out) },
				forward32: y, w: w, tensors: tensors,
			})
		})
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rotaryRef is HF apply_rotary_pos_emb in float64 on one head vector:
// x·cos + rotate_half(x)·sin on the first dims elements, the rest unchanged.
func rotaryRef(x []float32, pos, dims int, base float64) []float32 {
	y := append([]float32(nil), x...)
	h := dims / 2
	for i := range h {
		theta := float64(pos) * math.Pow(base, -float64(2*i)/float64(dims))
		a, b := float64(x[i]), float64(x[i+h])
		y[i] = float32(a*math.Cos(theta) - b*math.Sin(theta))
		y[i+h] = float32(b*math.Cos(theta) + a*math.Sin(theta))
	}
	return y
}

func TestRotaryApplyMatchesReference(t *testing.T) {
	cases := []struct {
		name                string
		dims, headSize, pos int
		base                float64
	}{
		{"dims4_head16_pos0", 4, 16, 0, 10000},
		{"dims4_head16_pos32", 4, 16, 32, 10000},
		{"dims16_head64_pos2047", 16, 64, 2047, 10000},
		{"dims64_head64_pos100_base1e6", 64, 64, 100, 1e6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rot, err := NewRotary(c.dims, c.pos+1, c.base)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(rand.New(rand.NewPCG(3, uint64(c.pos))), c.headSize, 1)
			want := rotaryRef(x, c.pos, c.dims, c.base)
			rot.Apply(x, c.pos)
			// The fp32 tables follow HF's fp32 arithmetic (pos·inv_freq rounded
			// to fp32), so large positions differ from float64 by ~pos·ulp.
			requireClose(t, "rotated", x, want, 2e-7*float64(c.pos+1), 0)
		})
	}
}

func TestNewRotaryRejectsBadArguments(t *testing.T) {
	cases := []struct {
		name         string
		dims, maxPos int
		base         float64
	}{
		{"odd_dims", 3, 8, 10000},
		{"zero_dims", 0, 8, 10000},
		{"zero_positions", 4, 0, 10000},
		{"negative_base", 4, 8, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewRotary(c.dims, c.maxPos, c.base); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestRotaryBackwardIsTranspose checks ⟨Apply(x), y⟩ = ⟨x, Backward(y)⟩, which
// makes Backward the exact gradient of the linear map Apply.
func TestRotaryBackwardIsTranspose(t *testing.T) {
	for _, c := range []struct {
		name                string
		dims, headSize, pos int
	}{{"dims4_head16_pos7", 4, 16, 7}, {"dims64_head64_pos300", 64, 64, 300}} {
		t.Run(c.name, func(t *testing.T) {
			rot, err := NewRotary(c.dims, c.pos+1, 10000)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(10, uint64(c.pos)))
			x, y := randSlice(r, c.headSize, 1), randSlice(r, c.headSize, 1)
			rx, ry := append([]float32(nil), x...), append([]float32(nil), y...)
			rot.Apply(rx, c.pos)
			rot.Backward(ry, c.pos)
			var lhs, rhs float64
			for i := range x {
				lhs += float64(rx[i]) * float64(y[i])
				rhs += float64(x[i]) * float64(ry[i])
			}
			if math.Abs(lhs-rhs) > 1e-5 {
				t.Errorf("⟨Apply x, y⟩ = %g, ⟨x, Backward y⟩ = %g", lhs, rhs)
			}
		})
	}
}

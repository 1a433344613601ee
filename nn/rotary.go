package nn

import (
	"fmt"
	"math"
)

// Rotary is the rotary position embedding (Su et al. 2021, RoFormer §3.4.2) in
// the GPT-NeoX "rotate-half" form, applied to the first Dims elements of a
// head vector; the other elements pass through. With h = Dims/2 and
// θ_i = Base^(-2i/Dims), position p rotates the pairs (x_i, x_{i+h}):
//
//	y_i   = x_i·cos(p·θ_i) - x_{i+h}·sin(p·θ_i)
//	y_{i+h} = x_{i+h}·cos(p·θ_i) + x_i·sin(p·θ_i)          for i < h
//
// which is HF apply_rotary_pos_emb: q·cos + rotate_half(q)·sin.
// Precision: the cos/sin tables are float32, built as HF's
// GPTNeoXRotaryEmbedding builds its fp32 buffers (inv_freq, t·inv_freq, then
// cos/sin), so the tables agree with the reference to about one ulp.
type Rotary struct {
	Dims   int     // rotary_ndims: how many leading elements of a head are rotated (even)
	MaxPos int     // positions 0..MaxPos-1 have table rows
	Base   float64 // rotary_emb_base

	cos, sin []float32 // (MaxPos, Dims/2)
}

// NewRotary builds the cos/sin tables for positions below maxPos.
func NewRotary(dims, maxPos int, base float64) (Rotary, error) {
	if dims <= 0 || dims%2 != 0 {
		return Rotary{}, fmt.Errorf("nn.Rotary: dims %d must be positive and even", dims)
	}
	if maxPos <= 0 || base <= 0 {
		return Rotary{}, fmt.Errorf("nn.Rotary: maxPos %d and base %g must be positive", maxPos, base)
	}
	h := dims / 2
	r := Rotary{Dims: dims, MaxPos: maxPos, Base: base, cos: make([]float32, maxPos*h), sin: make([]float32, maxPos*h)}
	for i := 0; i < h; i++ {
		// inv_freq = 1 / base^(arange(0, dims, 2) / dims), all in fp32 as HF.
		invFreq := 1 / float32(math.Pow(base, float64(float32(2*i)/float32(dims))))
		for p := 0; p < maxPos; p++ {
			f := float32(p) * invFreq // freqs = outer(t, inv_freq)
			r.cos[p*h+i] = float32(math.Cos(float64(f)))
			r.sin[p*h+i] = float32(math.Sin(float64(f)))
		}
	}
	return r, nil
}

// Apply rotates the first Dims elements of x in place as position pos.
// It panics when pos is outside [0, MaxPos) or x is shorter than Dims.
//
//	x: (≥ Dims)
func (r Rotary) Apply(x []float32, pos int) {
	h := r.Dims / 2
	cos, sin := r.cos[pos*h:(pos+1)*h], r.sin[pos*h:(pos+1)*h]
	lo, hi := x[:h], x[h:r.Dims]
	for i := range h {
		a, b := lo[i], hi[i]
		lo[i] = a*cos[i] - b*sin[i]
		hi[i] = b*cos[i] + a*sin[i]
	}
}

// Backward maps the gradient of a rotated vector back through Apply at
// position pos, in place: the rotation is orthogonal, so dx = Rᵀ·dy is the
// rotation by −θ. The pass-through elements keep their gradient.
//
//	dy: (≥ Dims), overwritten with dx
func (r Rotary) Backward(dy []float32, pos int) {
	h := r.Dims / 2
	cos, sin := r.cos[pos*h:(pos+1)*h], r.sin[pos*h:(pos+1)*h]
	lo, hi := dy[:h], dy[h:r.Dims]
	for i := range h {
		a, b := lo[i], hi[i]
		lo[i] = a*cos[i] + b*sin[i]
		hi[i] = b*cos[i] - a*sin[i]
	}
}

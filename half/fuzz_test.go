package half

import (
	"math"
	"testing"

	"github.com/x448/float16"
)

// FuzzConvert checks one float32 pattern through every path: scalar and
// slice casts against the oracles, and the in-place rounding. The slices
// hold 17 copies so that both the SIMD loop and the portable tail see it.
func FuzzConvert(f *testing.F) {
	for _, b := range []uint32{0, 0x80000000, 0x3f808000, 0x477ff000, 0x33000000, 0x387fe000, 0x7f800001, 0x7f7fffff, 0x00000001} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b uint32) {
		x := math.Float32frombits(b)
		src := make([]float32, 17)
		for i := range src {
			src[i] = x
		}
		bf := make([]BF16, len(src))
		BF16FromF32s(bf, src)
		h := make([]F16, len(src))
		F16FromF32s(h, src)
		rb := append([]float32(nil), src...)
		RoundBF16(rb)
		rh := append([]float32(nil), src...)
		RoundF16(rh)
		wantBF, wantH := BF16FromF32(x), F16FromF32(x)
		if isNaN32(x) {
			if !isNaN32(wantBF.F32()) || !isNaN32(wantH.F32()) {
				t.Fatalf("NaN %#08x became %#04x (bf16), %#04x (f16)", b, uint16(wantBF), uint16(wantH))
			}
		} else if o := oracleBF16(x); wantBF != o {
			t.Fatalf("BF16FromF32(%#08x) = %#04x, oracle %#04x", b, uint16(wantBF), uint16(o))
		} else if o := F16(float16.Fromfloat32(x).Bits()); wantH != o {
			t.Fatalf("F16FromF32(%#08x) = %#04x, x448/float16 %#04x", b, uint16(wantH), uint16(o))
		}
		for i := range src {
			if bf[i] != wantBF || h[i] != wantH ||
				math.Float32bits(rb[i]) != math.Float32bits(wantBF.F32()) ||
				math.Float32bits(rh[i]) != math.Float32bits(wantH.F32()) {
				t.Fatalf("element %d of %#08x: slices %#04x %#04x, rounded %#08x %#08x; scalar %#04x %#04x",
					i, b, uint16(bf[i]), uint16(h[i]), math.Float32bits(rb[i]), math.Float32bits(rh[i]), uint16(wantBF), uint16(wantH))
			}
		}
	})
}

package half

import (
	"fmt"
	"math"
)

// The exported functions hand the longest prefix they can to a SIMD loop
// (slice_amd64.s) and finish with a portable loop. The float16 portable
// loops are branch-free: each computes every candidate result (normal,
// subnormal, Inf/NaN) with integer and float32 arithmetic and selects one
// with all-ones/all-zeros masks, so their speed does not depend on the data.
// The bfloat16 loops use the scalar cast, whose only branch (NaN) is
// predictable and measured cheaper than masking it.

// lessMask returns all ones when a < c and zero otherwise; both operands
// must be below 2^31 (sign already cleared).
func lessMask(a, c uint32) uint32 { return uint32(int32(a-c) >> 31) }

// pick returns x where mask is all ones and y where it is all zeros.
func pick(mask, x, y uint32) uint32 { return y&^mask | x&mask }

// f16Bits is F16FromF32 on a bit pattern, without branches.
func f16Bits(b uint32) uint32 {
	sign := b >> 16 & 0x8000
	a := b & 0x7fffffff
	// Normal float16 (2^-14 ≤ |x| < 65520): rebias the exponent by 127-15
	// (subtract 112<<23) and drop 13 mantissa bits, rounding to nearest even;
	// |x| in [65520, 2^16) carries into the Inf pattern 0x7c00.
	h := (a - 112<<23 + 0xfff + a>>13&1) >> 13
	// Subnormal float16 (|x| < 2^-14): adding 0.5 (ulp 2^-24, the float16
	// subnormal spacing) rounds |x| to a multiple of 2^-24 in the FPU, ties to
	// even; the low mantissa bits are then the float16 pattern, 0x400 being
	// the smallest normal 2^-14.
	sub := math.Float32bits(math.Float32frombits(a)+0.5) - 0x3f000000
	h = pick(lessMask(a, 113<<23), sub, h)
	// |x| ≥ 2^16, Inf and NaN (quieted, top payload bits kept).
	big := 0x7c00 | (0x200|a>>13&0x3ff)&lessMask(0x7f800000, a)
	h = pick(^lessMask(a, 143<<23), big, h)
	return sign | h
}

// f32BitsFromF16 is F16.F32 on a bit pattern, without branches.
func f32BitsFromF16(h uint32) uint32 {
	o := (h & 0x7fff) << 13 // exponent and mantissa, aligned to float32
	e := o & 0x0f800000
	inf := ^lessMask(e, 0x0f800000) // exponent 31: Inf or NaN
	zero := lessMask(e, 0x00800000) // exponent 0: zero or subnormal
	o += 112<<23 + 112<<23&inf + 1<<23&zero
	o |= 0x400000 & inf & lessMask(0, h&0x3ff) // quiet a NaN, as F16.F32 does
	// Zero or subnormal m: o now holds 2^-14 + m·2^-24 exactly; subtracting
	// 2^-14 leaves m·2^-24, normalised by the FPU.
	sub := math.Float32bits(math.Float32frombits(o) - 0x1p-14)
	return h&0x8000<<16 | pick(zero, sub, o)
}

// roundF16Bits is F16FromF32(x).F32() on a bit pattern, without branches.
func roundF16Bits(b uint32) uint32 {
	a := b & 0x7fffffff
	// Normal range: round away 13 mantissa bits to nearest even.
	r := (a + 0xfff + a>>13&1) &^ 0x1fff
	// Subnormal range: round to a multiple of 2^-24 with the FPU (see f16Bits);
	// the conversion forces float32 rounding before the subtraction.
	sub := math.Float32bits(float32(math.Float32frombits(a)+0.5) - 0.5)
	r = pick(lessMask(a, 113<<23), sub, r)
	// |x| ≥ 65520 rounds to Inf; NaN is quieted with its top payload bits kept.
	big := 0x7f800000 | (0x400000|a&0x7fe000)&lessMask(0x7f800000, a)
	r = pick(^lessMask(a, 0x477ff000), big, r)
	return b&0x80000000 | r
}

func checkLen(fn string, dst, src int) {
	if dst != src {
		panic(fmt.Sprintf("half.%s: len(dst) = %d, len(src) = %d", fn, dst, src))
	}
}

// BF16FromF32s sets dst[i] = BF16FromF32(src[i]). It panics if the lengths
// differ.
func BF16FromF32s(dst []BF16, src []float32) {
	checkLen("BF16FromF32s", len(dst), len(src))
	n := bf16FromF32sVec(dst, src)
	bf16FromF32sGo(dst[n:], src[n:])
}

// bf16FromF32sGo is the portable loop behind BF16FromF32s; len(dst) ≥ len(src).
func bf16FromF32sGo(dst []BF16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = BF16FromF32(f)
	}
}

// F32sFromBF16 sets dst[i] = src[i].F32() (exact). It panics if the lengths
// differ.
func F32sFromBF16(dst []float32, src []BF16) {
	checkLen("F32sFromBF16", len(dst), len(src))
	n := f32sFromBF16Vec(dst, src)
	f32sFromBF16Go(dst[n:], src[n:])
}

// f32sFromBF16Go is the portable loop behind F32sFromBF16; len(dst) ≥ len(src).
func f32sFromBF16Go(dst []float32, src []BF16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(uint32(h) << 16)
	}
}

// F16FromF32s sets dst[i] = F16FromF32(src[i]). It panics if the lengths
// differ.
func F16FromF32s(dst []F16, src []float32) {
	checkLen("F16FromF32s", len(dst), len(src))
	n := f16FromF32sVec(dst, src)
	f16FromF32sGo(dst[n:], src[n:])
}

// f16FromF32sGo is the portable loop behind F16FromF32s; len(dst) ≥ len(src).
func f16FromF32sGo(dst []F16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		dst[i] = F16(f16Bits(math.Float32bits(f)))
	}
}

// F32sFromF16 sets dst[i] = src[i].F32() (exact). It panics if the lengths
// differ.
func F32sFromF16(dst []float32, src []F16) {
	checkLen("F32sFromF16", len(dst), len(src))
	n := f32sFromF16Vec(dst, src)
	f32sFromF16Go(dst[n:], src[n:])
}

// f32sFromF16Go is the portable loop behind F32sFromF16; len(dst) ≥ len(src).
func f32sFromF16Go(dst []float32, src []F16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = math.Float32frombits(f32BitsFromF16(uint32(h)))
	}
}

// RoundBF16 replaces each x[i] by BF16FromF32(x[i]).F32(): the nearest
// bfloat16 value, ties to even, held in a float32.
func RoundBF16(x []float32) {
	n := roundBF16Vec(x)
	roundBF16Go(x[n:])
}

// roundBF16Go is the portable loop behind RoundBF16.
func roundBF16Go(x []float32) {
	for i, f := range x {
		x[i] = BF16FromF32(f).F32()
	}
}

// RoundF16 replaces each x[i] by F16FromF32(x[i]).F32(): the nearest float16
// value, ties to even, held in a float32 (±Inf for |x[i]| ≥ 65520).
func RoundF16(x []float32) {
	n := roundF16Vec(x)
	roundF16Go(x[n:])
}

// roundF16Go is the portable loop behind RoundF16.
func roundF16Go(x []float32) {
	for i, f := range x {
		x[i] = math.Float32frombits(roundF16Bits(math.Float32bits(f)))
	}
}

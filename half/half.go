package half

import "math"

// BF16 is a bfloat16 value stored as its bit pattern.
type BF16 uint16

// F16 is an IEEE 754 binary16 value stored as its bit pattern.
type F16 uint16

// BF16FromF32 rounds f to the nearest bfloat16, ties to even.
func BF16FromF32(f float32) BF16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep sign and top payload bits, force quiet.
		return BF16(b>>16 | 0x0040)
	}
	// Add half an ulp of the result minus one, plus the lsb of the kept part:
	// this rounds to nearest and breaks ties toward an even mantissa.
	b += 0x7fff + (b>>16)&1
	return BF16(b >> 16)
}

// F32 returns the float32 with the same value as h (exact).
func (h BF16) F32() float32 { return math.Float32frombits(uint32(h) << 16) }

// F16FromF32 rounds f to the nearest float16, ties to even; values beyond the
// float16 range become ±Inf, tiny values become subnormals or ±0.
func F16FromF32(f float32) F16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	switch {
	case exp == 0xff: // Inf or NaN
		if man != 0 {
			return F16(sign | 0x7e00 | uint16(man>>13))
		}
		return F16(sign | 0x7c00)
	case exp > 142: // ≥ 2^16: overflows to Inf
		return F16(sign | 0x7c00)
	case exp >= 113: // normal float16 range: exponent 2^-14 … 2^15
		// Drop 13 mantissa bits with round-to-nearest-even; a carry may
		// ripple into the exponent (and up to Inf), which is correct.
		h := uint32(exp-112)<<10 | man>>13
		rem := man & 0x1fff
		if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
			h++
		}
		return F16(uint32(sign) | h)
	case exp >= 102: // float16 subnormal range (including values that round up to the smallest normal)
		man |= 0x800000 // implicit leading bit
		shift := uint32(126 - exp)
		h := man >> shift
		rem := man & (1<<shift - 1)
		halfway := uint32(1) << (shift - 1)
		if rem > halfway || (rem == halfway && h&1 == 1) {
			h++
		}
		return F16(uint32(sign) | h)
	default: // below half the smallest subnormal: rounds to ±0
		return F16(sign)
	}
}

// F32 returns the float32 with the same value as h (exact). A NaN keeps its
// sign and payload and comes back quiet, as from the F16C instruction
// VCVTPH2PS.
func (h F16) F32() float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	man := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f && man != 0:
		return math.Float32frombits(sign | 0x7fc00000 | man<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000)
	case exp != 0:
		return math.Float32frombits(sign | (exp+112)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	default: // subnormal: normalise
		e := uint32(113)
		for man&0x400 == 0 {
			man <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (man&0x3ff)<<13)
	}
}

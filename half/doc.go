// Package half converts between float32 and the two 16-bit floating-point
// formats used by checkpoints and mixed-precision training: bfloat16 (1 sign,
// 8 exponent, 7 mantissa bits) and IEEE 754 binary16 "float16" (1, 5, 10).
//
// # Conventions
//
//   - Values are stored as their bit patterns: BF16 and F16 are uint16, so a
//     []BF16 is the little-endian byte layout of a safetensors "BF16" tensor
//     on little-endian machines, and likewise for F16.
//   - Conversions to 16 bits round to nearest, ties to even (the rounding
//     PyTorch uses for .to(torch.bfloat16) and .half()). Finite values beyond
//     the float16 range (|x| ≥ 65520, halfway between the largest finite
//     float16 65504 and 2^16) become ±Inf; bfloat16 shares float32's
//     exponent range, so only values within half a bfloat16 ulp of
//     math.MaxFloat32 overflow to ±Inf. Tiny values become float16 subnormals
//     or ±0 with their sign kept.
//   - NaN stays NaN: the result is quieted (the top mantissa bit is set) and
//     keeps the sign and the top payload bits that fit. ±Inf stays ±Inf.
//   - Conversions to float32 are exact, including float16 subnormals. A NaN
//     keeps its sign and payload; a float16 NaN comes back quiet (as from
//     the F16C instruction VCVTPH2PS), a bfloat16 NaN's bits are copied
//     unchanged.
//   - Slice conversions write into a destination the caller provides
//     (destination first, as in copy), never allocate, and panic if the
//     lengths differ: that is a programmer error inside a hot loop. The
//     destination and source may not overlap (they have different element
//     types, so they can only overlap through unsafe code).
//   - RoundBF16 and RoundF16 replace each float32 in place by the nearest
//     value representable in the 16-bit format, exactly as if it were
//     converted to 16 bits and back: the "storage precision" step of
//     mixed-precision training, without a 16-bit buffer.
//   - Every slice function gives bit-for-bit the same results as the scalar
//     conversion applied to each element. On amd64 the slice functions run
//     AVX2 and F16C loops when the CPU has them (checked once, at start-up)
//     and portable, branch-free Go loops otherwise; the purego build tag
//     forces the Go loops everywhere.
package half

package half

import "math"

// The oracles here round in float64 with math.RoundToEven, an arithmetic
// route independent of the bit manipulations in half.go and slice.go.

// format describes a binary floating-point format by its precision p
// (significant bits, counting the implicit one), the exponent of its
// subnormal spacing, and the exponent of 2^emax·2, the first power of two
// beyond its largest finite value.
type format struct {
	p, minULPExp, overflowExp int
}

var (
	bf16Format = format{p: 8, minULPExp: -133, overflowExp: 128}
	f16Format  = format{p: 11, minULPExp: -24, overflowExp: 16}
)

// round returns x rounded to the nearest value of f, ties to even: x is
// scaled so that one ulp of its binade (or the subnormal spacing) becomes 1,
// rounded to an integer, and scaled back. Results of magnitude 2^overflowExp
// or more are ±Inf, as IEEE 754 rounding with unbounded exponent range and
// then overflow prescribes. NaN, ±Inf and ±0 are returned unchanged.
func (f format) round(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	_, e := math.Frexp(x) // |x| in [2^(e-1), 2^e)
	ulpExp := max(e-f.p, f.minULPExp)
	r := math.Ldexp(math.RoundToEven(math.Ldexp(x, -ulpExp)), ulpExp)
	if math.Abs(r) >= math.Ldexp(1, f.overflowExp) {
		return math.Copysign(math.Inf(1), x)
	}
	return r
}

// oracleBF16 is the bfloat16 pattern nearest to x by bf16Format.round. The
// rounded value is a float32 whose low 16 bits are zero, so its top 16 bits
// are the bfloat16 pattern. NaN maps to the canonical quiet NaN; callers
// compare NaNs as "both NaN".
func oracleBF16(x float32) BF16 {
	if x != x {
		return 0x7fc0
	}
	r := math.Float32bits(float32(bf16Format.round(float64(x))))
	if r&0xffff != 0 {
		panic("oracleBF16: rounded value is not a bfloat16")
	}
	return BF16(r >> 16)
}

// oracleRoundF16 is x rounded to the nearest float16 value, as a float32.
func oracleRoundF16(x float32) float32 { return float32(f16Format.round(float64(x))) }

package train

import (
	"math"
	"math/big"
)

// This file holds the scalar arithmetic that must agree with CPython on glibc and with
// PyTorch's fused kernels: float64 x**n and cos correctly rounded, and a float32 fused
// multiply-add rounded once.

// bigPrec is the working precision of powInt and cosRounded: far beyond float64's 53 bits, so
// that the final rounding to float64 is the correct rounding of the exact value.
const bigPrec = 256

// powInt returns x**n (n >= 0) correctly rounded to float64, as Python's `beta ** step`
// computes it through glibc's pow, whose results are correctly rounded in all but rare
// hard cases. Go's math.Pow is not: it can be an ulp off, which moves AdamW's bias
// correction and so every parameter.
func powInt(x float64, n int) float64 {
	if n < 0 {
		panic("train: powInt with a negative exponent")
	}
	acc := new(big.Float).SetPrec(bigPrec).SetFloat64(1)
	base := new(big.Float).SetPrec(bigPrec).SetFloat64(x)
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			acc.Mul(acc, base)
		}
		base.Mul(base, base)
	}
	f, _ := acc.Float64()
	return f
}

// cosRounded returns cos(x) correctly rounded to float64, as glibc's cos (which Python's
// math.cos calls) returns it; Go's math.Cos can be an ulp off. It sums the Taylor series in
// big.Float, so it is meant for a few calls per step, on |x| up to a few π.
func cosRounded(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return math.NaN()
	}
	xx := new(big.Float).SetPrec(bigPrec).SetFloat64(x)
	xx.Mul(xx, xx)
	sum := new(big.Float).SetPrec(bigPrec).SetFloat64(1)
	term := new(big.Float).SetPrec(bigPrec).SetFloat64(1)
	tiny := new(big.Float).SetPrec(bigPrec).SetMantExp(big.NewFloat(1), -bigPrec-8)
	for k := 1; ; k++ {
		// term_k = −term_{k−1}·x²/((2k−1)·2k)
		term.Mul(term, xx)
		term.Quo(term, new(big.Float).SetPrec(bigPrec).SetInt64(int64((2*k-1)*(2*k))))
		term.Neg(term)
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(tiny) < 0 {
			break
		}
	}
	f, _ := sum.Float64()
	return f
}

// fma32 returns a·b + c rounded once to float32: the _mm256_fmadd_ps / vfmadd of torch's
// vectorised CPU kernels. a·b is exact in float64 (24+24 bits), so the float64 sum hi is the
// exact sum rounded once. Rounding hi to float32 is then the correct rounding of the exact sum
// unless hi lands exactly on a float32 midpoint (its 29 low mantissa bits 1000…0): only then
// is the float64 rounding error recovered (TwoSum) to break the tie.
func fma32(a, b, c float32) float32 {
	ab := float64(a) * float64(b)
	hi := ab + float64(c)
	const low29, half = 1<<29 - 1, 1 << 28
	if math.Float64bits(hi)&low29 != half && math.Abs(hi) >= 0x1p-126 {
		return float32(hi)
	}
	return fma32Slow(ab, float64(c), hi)
}

// fma32Slow rounds ab + c (hi is their float64 sum) to float32 exactly, for sums on a float32
// midpoint and in the subnormal range, where the float32 grid is not the one the low bits
// describe.
func fma32Slow(ab, c, hi float64) float32 {
	bv := hi - ab
	lo := (ab - (hi - bv)) + (c - bv) // hi + lo == ab + c exactly
	r := float32(hi)
	if lo == 0 || float64(r) == hi || math.IsInf(hi, 0) || math.IsNaN(hi) {
		return r
	}
	n := math.Nextafter32(r, float32(math.Inf(1)))
	if float64(r) > hi {
		n = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if hi != (float64(r)+float64(n))/2 {
		return r
	}
	// hi is a float32 midpoint and ties-to-even chose r; the exact sum lies on lo's side of it.
	if (lo > 0) == (float64(n) > hi) {
		return n
	}
	return r
}

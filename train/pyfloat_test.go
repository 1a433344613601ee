package train

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// round32 rounds an exact value to the nearest float32 (ties to even, subnormals included)
// without using Go's float32 arithmetic: the independent twin of the fp32 operations under test.
func round32(x *big.Float) float32 {
	f, _ := x.Float32()
	return f
}

// exact holds x in a big.Float whose precision keeps sums and products of a few float32s exact.
func exact(x float32) *big.Float { return new(big.Float).SetPrec(1024).SetFloat64(float64(x)) }

// sum and prod are exact at 1024 bits for the operands of these tests.
func sum(x, y *big.Float) *big.Float  { return new(big.Float).SetPrec(1024).Add(x, y) }
func prod(x, y *big.Float) *big.Float { return new(big.Float).SetPrec(1024).Mul(x, y) }

func TestPowIntIsCorrectlyRounded(t *testing.T) {
	for _, tc := range []struct {
		x float64
		n int
	}{{0.9, 1}, {0.9, 2}, {0.9, 10}, {0.999, 3}, {0.999, 1000}, {0.95, 3000}, {0.5, 60}, {0.999, 0}} {
		// The power of a float64 has at most 53·n bits: at 53·n bits of precision every
		// product is exact, and the final rounding is the correct one.
		want := new(big.Float).SetPrec(uint(53 * max(tc.n, 1))).SetFloat64(1)
		for range tc.n {
			want.Mul(want, big.NewFloat(tc.x))
		}
		w, _ := want.Float64()
		if got := powInt(tc.x, tc.n); got != w {
			t.Errorf("powInt(%g, %d) = %v, want %v (math.Pow gives %v)", tc.x, tc.n, got, w, math.Pow(tc.x, float64(tc.n)))
		}
	}
}

func ulp(x float64) float64 { return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x) }

func TestCosRounded(t *testing.T) {
	for _, tc := range []struct {
		x, want float64
	}{{0, 1}, {math.Pi, -1}, {math.Pi / 2, 6.123233995736766e-17}, {1, 0.5403023058681398}, {1.0471975511965976, 0.5000000000000001}} {
		if got := cosRounded(tc.x); got != tc.want {
			t.Errorf("cosRounded(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		x := r.Float64() * math.Pi
		if got, ref := cosRounded(x), math.Cos(x); math.Abs(got-ref) > ulp(ref) {
			t.Fatalf("cosRounded(%v) = %v, math.Cos %v: more than an ulp apart", x, got, ref)
		}
	}
}

func TestFMA32RoundsOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := [][3]float32{
		// c on a float32 midpoint of a·b's grid: the case double rounding gets wrong.
		{1 + 0x1p-23, 1 + 0x1p-23, -1},
		{1 + 0x1p-12, 1 + 0x1p-12, 0x1p-60},
		{3, 1.0 / 3, -1},
		// subnormal results, where the float32 grid is 2^-149
		{0x1p-70, 0x1p-70, 0x1.8p-149},
		{0x1.000002p-75, 0x1p-70, -0x1p-146},
	}
	for range 200000 {
		e := r.IntN(40) - 20
		cases = append(cases, [3]float32{
			float32(r.NormFloat64()), float32(r.NormFloat64()),
			float32(math.Ldexp(r.NormFloat64(), e)),
		})
	}
	for _, c := range cases {
		a, b, cc := c[0], c[1], c[2]
		want := round32(sum(prod(exact(a), exact(b)), exact(cc)))
		if got := fma32(a, b, cc); got != want {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", a, b, cc, got, want)
		}
	}
}

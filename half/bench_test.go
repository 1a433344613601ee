package half

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchSizes are element counts: one that fits in L1/L2 with its
// destination, and one the size of a 1024×1024 weight matrix.
var benchSizes = []int{4096, 1 << 20}

// benchInput is n normally distributed float32s, like weights and
// activations.
func benchInput(n int) []float32 {
	r := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// BenchmarkConvert measures each slice function as dispatched (SIMD where
// available), as its portable loop ("go"), and, for the float16 casts, as a
// loop over the scalar cast ("scalar"; the bfloat16 portable loops are that
// loop). The reported bytes/s count the bytes
// read plus the bytes written.
func BenchmarkConvert(b *testing.B) {
	for _, n := range benchSizes {
		src := benchInput(n)
		bf := make([]BF16, n)
		f16 := make([]F16, n)
		dst := make([]float32, n)
		BF16FromF32s(bf, src)
		F16FromF32s(f16, src)
		benches := []struct {
			name  string
			bytes int // per element
			run   func()
		}{
			{"BF16FromF32s/dispatch", 6, func() { BF16FromF32s(bf, src) }},
			{"BF16FromF32s/go", 6, func() { bf16FromF32sGo(bf, src) }},
			{"F32sFromBF16/dispatch", 6, func() { F32sFromBF16(dst, bf) }},
			{"F32sFromBF16/go", 6, func() { f32sFromBF16Go(dst, bf) }},
			{"F16FromF32s/dispatch", 6, func() { F16FromF32s(f16, src) }},
			{"F16FromF32s/go", 6, func() { f16FromF32sGo(f16, src) }},
			{"F16FromF32s/scalar", 6, func() {
				for i, f := range src {
					f16[i] = F16FromF32(f)
				}
			}},
			{"F32sFromF16/dispatch", 6, func() { F32sFromF16(dst, f16) }},
			{"F32sFromF16/go", 6, func() { f32sFromF16Go(dst, f16) }},
			{"F32sFromF16/scalar", 6, func() {
				for i, h := range f16 {
					dst[i] = h.F32()
				}
			}},
			{"RoundBF16/dispatch", 8, func() { RoundBF16(dst) }},
			{"RoundBF16/go", 8, func() { roundBF16Go(dst) }},
			{"RoundF16/dispatch", 8, func() { RoundF16(dst) }},
			{"RoundF16/go", 8, func() { roundF16Go(dst) }},
		}
		for _, bb := range benches {
			b.Run(fmt.Sprintf("%s/n=%d", bb.name, n), func(b *testing.B) {
				copy(dst, src)
				b.SetBytes(int64(bb.bytes * n))
				for b.Loop() {
					bb.run()
				}
			})
		}
	}
}

package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/steady-ml/steady/half"
)

// benchShapes are m×n×k of model-like products: a 2048-token batch through
// a 768→3072 and a 3072→768 projection (Pythia-160M, Mamba-130M widths), and
// the same for one decoded token, with the 50280-word output head.
var benchShapes = []struct{ m, n, k int }{
	{2048, 3072, 768},
	{2048, 768, 3072},
	{1, 3072, 768},
	{1, 50280, 768},
}

// benchGemm runs fn on C = A·Bᵀ (B stored n×k, as nn.Linear's weight) for
// every shape at 1 and 2 threads, reporting GFLOP/s (2·m·n·k per call).
func benchGemm[T float32 | uint16](b *testing.B, impls []namedGemm[T], conv func(float32) T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(5, 6))
	for _, threads := range []int{1, 2} {
		for _, impl := range impls {
			for _, s := range benchShapes {
				b.Run(fmt.Sprintf("%s/threads=%d/%dx%dx%d", impl.name, threads, s.m, s.n, s.k), func(b *testing.B) {
					SetThreads(threads)
					a, w := make([]T, s.m*s.k), make([]T, s.n*s.k)
					for i := range a {
						a[i] = conv(rng.Float32())
					}
					for i := range w {
						w[i] = conv(rng.Float32())
					}
					c := make([]float32, s.m*s.n)
					for b.Loop() {
						gemmChecked("bench", impl.fn, false, true, s.m, s.n, s.k, 1, a, s.k, w, s.k, 0, c, s.n)
					}
					b.ReportMetric(2*float64(s.m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

func BenchmarkSgemm(b *testing.B) {
	benchGemm(b, sgemmImpls, func(f float32) float32 { return f })
}

func BenchmarkSgemmBF16(b *testing.B) {
	benchGemm(b, bf16Impls(), func(f float32) uint16 { return uint16(half.BF16FromF32(f)) })
}

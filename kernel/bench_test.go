package kernel

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/steady-ml/steady/half"
)

// benchShapes are m×n×k of model-like products: a 2048-token batch through
// a 768→3072 and a 3072→768 projection (Pythia-160M, Mamba-130M widths), a
// 512-token 768→768 projection, a 64-token prompt, and one decoded token,
// with the 50280-word output head.
var benchShapes = []struct{ m, n, k int }{
	{2048, 3072, 768},
	{2048, 768, 3072},
	{512, 768, 768},
	{64, 3072, 768},
	{1, 3072, 768},
	{1, 50280, 768},
}

// benchGemm runs fn on C = A·Bᵀ (B stored n×k, as nn.Linear's weight) for
// every shape at 1 and 2 threads, reporting GFLOP/s (2·m·n·k per call) over
// all calls, in the fastest call (best-GFLOP/s: the better estimate on a busy
// machine) and per second of the process's CPU time (GFLOP/cpu-s: what one
// core delivers, threads' spinning included).
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
					gflop := 2 * float64(s.m*s.n*s.k) / 1e9
					fastest := time.Duration(1<<63 - 1)
					cpu0 := cpuTime()
					for b.Loop() {
						start := time.Now()
						gemmChecked("bench", impl.fn, false, true, s.m, s.n, s.k, 1, a, s.k, w, s.k, 0, c, s.n)
						fastest = min(fastest, time.Since(start))
					}
					b.ReportMetric(gflop*float64(b.N)/b.Elapsed().Seconds(), "GFLOP/s")
					b.ReportMetric(gflop/fastest.Seconds(), "best-GFLOP/s")
					b.ReportMetric(gflop*float64(b.N)/(cpuTime()-cpu0).Seconds(), "GFLOP/cpu-s")
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

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

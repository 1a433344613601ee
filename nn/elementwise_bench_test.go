package nn

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkElementwise times the element-wise activation kernels on one
// mamba-130m-sized activation (4×256 tokens × d_inner 1536) in ns per element.
func BenchmarkElementwise(b *testing.B) {
	const n = 4 * 256 * 1536
	r := rand.New(rand.NewPCG(3, 4))
	x, dy, y := randSlice(r, n, 3), randSlice(r, n, 1), make([]float32, n)
	for _, c := range []struct {
		name string
		run  func()
	}{
		{"silu", func() { SiLU(y, x) }},
		{"silu_backward", func() { SiLUBackward(y, dy, x) }},
		{"gelu", func() { GELU(y, x) }},
		{"gelu_backward", func() { GELUBackward(y, dy, x) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				c.run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/element")
		})
	}
}

// BenchmarkCrossEntropyRow times one row of the fused loss and gradient at
// Pythia's vocabulary (50304 logits) in ns per logit, with and without the
// gradient.
func BenchmarkCrossEntropyRow(b *testing.B) {
	const vocab = 50304
	r := rand.New(rand.NewPCG(3, 5))
	x, d := randSlice(r, vocab, 3), make([]float32, vocab)
	for _, c := range []struct {
		name string
		d    []float32
	}{{"loss_and_grad", d}, {"loss_only", nil}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(4 * vocab)
			for b.Loop() {
				crossEntropyRow(c.d, x, 7, 1)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/vocab, "ns/element")
		})
	}
}

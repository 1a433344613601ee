package train

import (
	"fmt"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// BenchmarkAdamWStep measures one update of a parameter of n elements, in parameters/s and in
// memory traffic (MB/s: p, g, m, v read and p, m, v written, 28 bytes per parameter), with fp32
// state and with the pure modes' half-stored state. n = 2²⁴ is a 16.8M-parameter model's update,
// far larger than the caches.
func BenchmarkAdamWStep(b *testing.B) {
	for _, n := range []int{1 << 16, 768 * 768 * 4, 1 << 24} {
		for _, storage := range []nn.Autocast{nn.AutocastOff, nn.AutocastBF16, nn.AutocastF16} {
			b.Run(fmt.Sprintf("n=%d/storage=%v", n, storage), func(b *testing.B) {
				p := &Param{Name: "w", Shape: []int{n / 64, 64}, Data: make([]float32, n), Grad: make([]float32, n)}
				for i := range p.Grad {
					p.Data[i], p.Grad[i] = float32(i%97)*1e-3, float32(i%89-44)*1e-4
				}
				opt, err := NewAdamW([]*Param{p}, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Storage: storage})
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(28 * int64(n))
				for b.Loop() {
					opt.Step(1e-3)
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "params/s")
			})
		}
	}
}

// BenchmarkGradNorm measures the fused fp32 norm, in elements/s.
func BenchmarkGradNorm(b *testing.B) {
	const n = 768 * 768 * 4
	p := &Param{Name: "w", Shape: []int{n}, Grad: make([]float32, n)}
	for i := range p.Grad {
		p.Grad[i] = float32(i%89-44) * 1e-4
	}
	for b.Loop() {
		GradNorm([]*Param{p})
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
}

package mamba

import (
	"fmt"
	"testing"
)

// BenchmarkLossAndGrad runs one forward and backward of the mamba-130m shape.
// It reports tokens/s, the matmul GFLOP/s this implies (the backward's
// matmuls are twice the forward's: the input and the weight gradient), and
// tokens per CPU-second of the process.
func BenchmarkLossAndGrad(b *testing.B) {
	m := loadBenchModel(b)
	for _, sh := range []struct{ batch, seq int }{{1, 256}} {
		b.Run(fmt.Sprintf("mamba130m_%dx%d", sh.batch, sh.seq), func(b *testing.B) {
			tokens := benchTokens(sh.batch * sh.seq)
			grads := m.NewGrads()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := m.LossAndGrad(tokens, sh.batch, sh.seq, grads); err != nil {
					b.Fatal(err)
				}
			}
			perSec := float64(b.N) / b.Elapsed().Seconds()
			n := float64(sh.batch * sh.seq)
			b.ReportMetric(perSec*n, "tokens/s")
			b.ReportMetric(perSec*n*3*matmulFlopsPerToken(m.cfg)/1e9, "GFLOP/s")
			b.ReportMetric(float64(b.N)*n/(processCPU()-cpu0).Seconds(), "tokens/cpu-s")
		})
	}
}

package neox

import (
	"fmt"
	"sync"
	"testing"
)

// pythia160m is the shape of EleutherAI/pythia-160m.
var pythia160m = Config{
	VocabSize: 50304, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
	HiddenAct: "gelu", RotaryPct: 0.25, RotaryEmbBase: 10000, MaxPositionEmbeddings: 2048, LayerNormEps: 1e-5,
	UseParallelResidual: true, AttentionBias: true,
}

var benchModel = sync.OnceValues(func() (*Model, error) {
	return New(pythia160m, randomWeights(pythia160m, 5, 0.02))
})

func loadBenchModel(b *testing.B) *Model {
	b.Helper()
	m, err := benchModel()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// linearFlopsPerToken counts the multiply-adds (×2) of the linear layers and
// the head for one token; attention's QKᵀ and PV are left out.
func linearFlopsPerToken(c Config) float64 {
	h, i := float64(c.HiddenSize), float64(c.IntermediateSize)
	return 2 * (float64(c.NumHiddenLayers)*(4*h*h+2*h*i) + h*float64(c.VocabSize))
}

// BenchmarkPrefill runs stateless forwards over batch×seq tokens of a
// pythia-160m-shaped model with random weights.
func BenchmarkPrefill(b *testing.B) {
	m := loadBenchModel(b)
	for _, s := range []struct{ batch, seq int }{{1, 512}, {4, 256}} {
		b.Run(fmt.Sprintf("%dx%d", s.batch, s.seq), func(b *testing.B) {
			tokens := make([]int32, s.batch*s.seq)
			for i := range tokens {
				tokens[i] = int32(i * 7919 % m.VocabSize())
			}
			logits := make([]float32, s.batch*s.seq*m.VocabSize())
			cpu0 := processCPUSeconds()
			for b.Loop() {
				if err := m.ForwardInto(logits, tokens, s.batch, s.seq, nil); err != nil {
					b.Fatal(err)
				}
			}
			reportThroughput(b, b.N*s.batch*s.seq, processCPUSeconds()-cpu0, m.Config)
		})
	}
}

// BenchmarkDecode feeds one token at a time (batch 1) into a preallocated
// cache that grows from 0 to 512 tokens and then starts over, so the mean
// cache length is about 256.
func BenchmarkDecode(b *testing.B) {
	m := loadBenchModel(b)
	const maxLen = 512
	s, err := m.NewStateCap(1, maxLen)
	if err != nil {
		b.Fatal(err)
	}
	logits := make([]float32, m.VocabSize())
	token := []int32{0}
	b.ReportAllocs()
	cpu0 := processCPUSeconds()
	for b.Loop() {
		if s.Len() == maxLen {
			s.Reset()
		}
		token[0] = int32(s.Len() * 7919 % m.VocabSize())
		if err := m.ForwardInto(logits, token, 1, 1, s); err != nil {
			b.Fatal(err)
		}
	}
	reportThroughput(b, b.N, processCPUSeconds()-cpu0, m.Config)
}

// reportThroughput reports tokens and linear-layer GFLOP per wall-clock
// second, and tokens per CPU-second of the whole process (all threads), which
// stays meaningful when other jobs share the cores.
func reportThroughput(b *testing.B, tokens int, cpuSeconds float64, c Config) {
	wall := b.Elapsed().Seconds()
	b.ReportMetric(float64(tokens)/wall, "tok/s")
	b.ReportMetric(float64(tokens)*linearFlopsPerToken(c)/wall/1e9, "GFLOP/s")
	if cpuSeconds > 0 {
		b.ReportMetric(float64(tokens)/cpuSeconds, "tok/cpu-s")
	}
}

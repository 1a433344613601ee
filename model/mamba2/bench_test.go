package mamba2

import (
	"fmt"
	"math"
	"sync"
	"testing"
)

// config130m is the shape of state-spaces/mamba2-130m.
func config130m() Config {
	return Config{
		DModel: 768, NLayer: 24, VocabSize: 50277, PadVocabSizeMultiple: 8, DState: 128, DConv: 4, Expand: 2,
		HeadDim: 64, NGroups: 1, ChunkSize: 256, GatedNorm: true, ConvBias: true,
		DtLimit: [2]float64{0, math.Inf(1)}, NormEps: 1e-5, GatedNormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: true,
	}
}

var bench130m = sync.OnceValue(func() *Model {
	m, err := New(config130m(), randomWeights(config130m(), 42))
	if err != nil {
		panic(err)
	}
	return m
})

func benchTokens(n, vocab int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32((i * 7919) % vocab)
	}
	return t
}

// BenchmarkPrefill runs the chunked forward of a mamba2-130m-shaped model
// with random weights, from an empty state.
func BenchmarkPrefill(b *testing.B) {
	m := bench130m()
	for _, s := range []struct{ batch, seq int }{{1, 512}, {4, 256}} {
		b.Run(fmt.Sprintf("130m/%dx%d", s.batch, s.seq), func(b *testing.B) {
			tokens := benchTokens(s.batch*s.seq, m.Config.VocabSize)
			for b.Loop() {
				if _, err := m.Forward(tokens, s.batch, s.seq, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*s.batch*s.seq)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}

// BenchmarkDecode runs one recurrent step per iteration (batch 1) of a
// mamba2-130m-shaped model with random weights.
func BenchmarkDecode(b *testing.B) {
	m := bench130m()
	b.Run("130m/batch1", func(b *testing.B) {
		st := m.NewState(1)
		if _, err := m.Forward(benchTokens(16, m.Config.VocabSize), 1, 16, st); err != nil {
			b.Fatal(err)
		}
		tok := []int32{42}
		for b.Loop() {
			if _, err := m.Forward(tok, 1, 1, st); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
	})
}

package mamba

import (
	"fmt"
	"sync"
	"testing"

	"github.com/steady-ml/steady/kernel"
)

// mamba130m is the mamba-130m shape: d_model 768, 24 layers, vocab 50280,
// d_state 16, expand 2, d_conv 4.
var mamba130m = Config{DModel: 768, NLayer: 24, VocabSize: 50280, PadVocabSizeMultiple: 8, DState: 16, DConv: 4,
	Expand: 2, DInner: 1536, DtRank: 48, ConvBias: true, NormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: true}

var benchModel = sync.OnceValues(func() (*Model, error) { return New(mamba130m, randomWeights{mamba130m}) })

func loadBenchModel(b *testing.B) *Model {
	m, err := benchModel()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// matmulFlopsPerToken is 2·(parameters every token multiplies by): the
// projections of every layer and the LM head.
func matmulFlopsPerToken(c Config) float64 {
	perLayer := 2*c.DInner*c.DModel + (c.DtRank+2*c.DState)*c.DInner + c.DInner*c.DtRank + c.DModel*c.DInner
	return 2 * float64(c.NLayer*perLayer+c.PaddedVocab()*c.DModel)
}

func benchTokens(n int) []int32 {
	t := make([]int32, n)
	for i := range t {
		t[i] = int32((i * 7919) % 50277)
	}
	return t
}

// BenchmarkPrefill runs the parallel forward with state capture over a whole
// prompt. It reports tokens/s, the matmul GFLOP/s this implies, and tokens per
// CPU-second of the process (all threads), which is the figure to trust on a
// shared machine.
func BenchmarkPrefill(b *testing.B) {
	m := loadBenchModel(b)
	for _, sh := range []struct{ batch, seq int }{{1, 512}, {4, 256}} {
		b.Run(fmt.Sprintf("mamba130m_%dx%d", sh.batch, sh.seq), func(b *testing.B) {
			tokens := benchTokens(sh.batch * sh.seq)
			s := m.NewMambaState(sh.batch)
			cpu0 := processCPU()
			for b.Loop() {
				s.Reset()
				if _, err := m.Forward(tokens, sh.batch, sh.seq, s); err != nil {
					b.Fatal(err)
				}
			}
			perSec := float64(b.N) / b.Elapsed().Seconds()
			n := float64(sh.batch * sh.seq)
			b.ReportMetric(perSec*n, "tokens/s")
			b.ReportMetric(perSec*n*matmulFlopsPerToken(m.cfg)/1e9, "GFLOP/s")
			b.ReportMetric(float64(b.N)*n/(processCPU()-cpu0).Seconds(), "tokens/cpu-s")
		})
	}
}

// BenchmarkPrefillGEMMOnly runs only the matmuls of BenchmarkPrefill's
// forward (the same shapes, weights and buffers): the GEMM roofline that the
// full prefill's GFLOP/s is to be compared with on the same machine and load.
func BenchmarkPrefillGEMMOnly(b *testing.B) {
	m := loadBenchModel(b)
	c := m.cfg
	for _, sh := range []struct{ batch, seq int }{{1, 512}, {4, 256}} {
		b.Run(fmt.Sprintf("mamba130m_%dx%d", sh.batch, sh.seq), func(b *testing.B) {
			rows := sh.batch * sh.seq
			a := &m.acts
			a.ensure(c, rows)
			logits := make([]float32, rows*m.vocab)
			wx := c.DtRank + 2*c.DState
			for b.Loop() {
				for i := range m.layers {
					mx := &m.layers[i].mixer
					mx.inProj.Forward(a.xz, a.hidden, rows)
					mx.xProj.Forward(a.xdbl, a.u, rows)
					kernel.Sgemm(false, true, rows, c.DInner, c.DtRank, 1, a.xdbl, wx, mx.dtProj.Weight, c.DtRank, 0, a.delta, c.DInner)
					mx.outProj.Forward(a.hidden, a.y, rows)
				}
				m.lmHead.Forward(logits, a.hidden, rows)
			}
			b.ReportMetric(float64(b.N)*float64(rows)*matmulFlopsPerToken(c)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDecode runs one-token steps of a single sequence. It reports
// tokens/s and the weight bytes streamed per second (float32 weights, each
// read once per token), to compare with the memory-bandwidth bound.
func BenchmarkDecode(b *testing.B) {
	m := loadBenchModel(b)
	b.Run("mamba130m_batch1", func(b *testing.B) {
		s := m.NewMambaState(1)
		if _, err := m.Forward(benchTokens(16), 1, 16, s); err != nil {
			b.Fatal(err)
		}
		tok := []int32{42}
		cpu0 := processCPU()
		for b.Loop() {
			if _, err := m.Forward(tok, 1, 1, s); err != nil {
				b.Fatal(err)
			}
		}
		perSec := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(perSec, "tokens/s")
		b.ReportMetric(perSec*matmulFlopsPerToken(m.cfg)/2*4/1e9, "weightGB/s")
		b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), "tokens/cpu-s")
	})
}

package mamba

import (
	"fmt"
	"math"
	"sync"
	"testing"
)

// randomWeights is a model.Weights with mamba_ssm-like random values for any
// Config, generated on first use of each tensor by a cheap deterministic
// generator (the benchmarks need shapes and magnitudes, not a trained model).
type randomWeights struct{ c Config }

func (w randomWeights) Has(name string) bool {
	_, ok := w.shape(name)
	return ok
}

func (w randomWeights) shape(name string) ([]int, bool) {
	c := w.c
	var i int
	var rel string
	if _, err := fmt.Sscanf(name, "backbone.layers.%d.", &i); err == nil {
		rel = name[len(fmt.Sprintf(layerNameStart, i)):]
	}
	switch {
	case name == nameEmbedding[0]:
		return []int{c.PaddedVocab(), c.DModel}, true
	case name == nameNormF[0]:
		return []int{c.DModel}, true
	case rel == nameNorm:
		return []int{c.DModel}, true
	case rel == nameInProj:
		return []int{2 * c.DInner, c.DModel}, true
	case rel == nameConv:
		return []int{c.DInner, 1, c.DConv}, true
	case rel == nameConvB, rel == nameDtProjB, rel == nameD:
		return []int{c.DInner}, true
	case rel == nameXProj:
		return []int{c.DtRank + 2*c.DState, c.DInner}, true
	case rel == nameDtProj:
		return []int{c.DInner, c.DtRank}, true
	case rel == nameALog:
		return []int{c.DInner, c.DState}, true
	case rel == nameOutProj:
		return []int{c.DModel, c.DInner}, true
	}
	return nil, false
}

func (w randomWeights) F32(name string) ([]float32, []int, error) {
	shape, ok := w.shape(name)
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %s", name)
	}
	x := make([]float32, product(shape))
	seed := uint64(len(name))*0x9e3779b97f4a7c15 + uint64(len(x))
	for i := range x {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		x[i] = (float32(seed>>40)/float32(1<<24) - 0.5) * 0.1 // U(−0.05, 0.05)
	}
	switch {
	case len(name) > 5 && name[len(name)-5:] == "A_log": // S4D-real init: A_log = log(1..N)
		for j := range x {
			x[j] = float32(math.Log(float64(j%shape[1] + 1)))
		}
	case name[len(name)-1] == 'D', len(name) > 11 && name[len(name)-11:] == "norm.weight", name == nameNormF[0]:
		for j := range x {
			x[j] += 1
		}
	case len(name) > 12 && name[len(name)-12:] == "dt_proj.bias": // softplus⁻¹(0.01)
		for j := range x {
			x[j] = -4.6
		}
	}
	return x, shape, nil
}

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

package mamba2

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// mapWeights implements model.Weights over tensors held in memory.
type mapWeights map[string]mapTensor

type mapTensor struct {
	data  []float32
	shape []int
}

func (w mapWeights) Has(name string) bool { _, ok := w[name]; return ok }

func (w mapWeights) F32(name string) ([]float32, []int, error) {
	t, ok := w[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	return t.data, slices.Clone(t.shape), nil
}

// randomWeights draws a mamba_ssm-layout checkpoint for c in the spirit of
// the reference init: linear and embedding weights N(0, 0.02), conv N(0, 0.2),
// norms 1, D 1, A = U(1, 16), Δ(dt_bias) = U(0.001, 0.1) log-uniform.
func randomWeights(c Config, seed uint64) mapWeights {
	r := rand.New(rand.NewPCG(seed, 1))
	fill := func(n int, f func() float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = f()
		}
		return s
	}
	normal := func(std float64) func() float32 { return func() float32 { return float32(std * r.NormFloat64()) } }
	one := func() float32 { return 1 }
	w := mapWeights{}
	add := func(name string, shape []int, f func() float32) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		w[name] = mapTensor{fill(n, f), shape}
	}
	add(nameEmbedding, []int{c.PaddedVocab(), c.DModel}, normal(0.02))
	add(nameNormF, []int{c.DModel}, one)
	if !c.TieEmbeddings {
		add(nameLMHead, []int{c.PaddedVocab(), c.DModel}, normal(0.02))
	}
	for i := 0; i < c.NLayer; i++ {
		for _, t := range layerTensors(c, &blockWeights{}) {
			if !t.want {
				continue
			}
			f := normal(0.02)
			switch t.leaf {
			case "norm.weight", "mixer.norm.weight", "mixer.D":
				f = one
			case "mixer.conv1d.weight", "mixer.conv1d.bias":
				f = normal(0.2)
			case "mixer.A_log":
				f = func() float32 { return float32(math.Log(1 + 15*r.Float64())) }
			case "mixer.dt_bias":
				f = func() float32 {
					dt := math.Exp(math.Log(0.001) + r.Float64()*(math.Log(0.1)-math.Log(0.001)))
					return float32(dt + math.Log(-math.Expm1(-dt))) // inverse softplus
				}
			}
			add(fmt.Sprintf("backbone.layers.%d.%s", i, t.leaf), t.shape, f)
		}
	}
	return w
}

// smallConfig is a tiny model with two groups, D per channel and biases, to
// reach the paths the fixture model does not.
func smallConfig() Config {
	return Config{
		DModel: 32, NLayer: 2, VocabSize: 50, PadVocabSizeMultiple: 8, DState: 8, DConv: 3, Expand: 2, HeadDim: 8,
		NGroups: 2, ChunkSize: 6, DHasHdim: true, GatedNorm: true, Bias: true, ConvBias: true,
		DtLimit: [2]float64{0, math.Inf(1)}, NormEps: 1e-5, GatedNormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: false,
	}
}

func newRandomModel(t testing.TB, c Config, seed uint64) *Model {
	t.Helper()
	m, err := New(c, randomWeights(c, seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSmallModelDecodeEqualsForward covers ngroups 2, D_has_hdim, biases,
// an untied head, vocab padding and no gated norm, where the fixture model has
// none of them.
func TestSmallModelDecodeEqualsForward(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(c *Config)
	}{
		{"groups2_Dhdim_bias_untied", func(c *Config) {}},
		{"no_gated_norm", func(c *Config) { c.GatedNorm = false }},
		{"norm_before_gate_dt_limit", func(c *Config) { c.NormBeforeGate = true; c.DtLimit = [2]float64{0.01, 0.05} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig()
			tc.modify(&c)
			m := newRandomModel(t, c, 3)
			const batch, seq = 3, 20
			r := rand.New(rand.NewPCG(5, 5))
			tokens := make([]int32, batch*seq)
			for i := range tokens {
				tokens[i] = int32(r.IntN(c.VocabSize))
			}
			full, err := m.Forward(tokens, batch, seq, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(full) != batch*seq*56 {
				t.Fatalf("logits len %d, want %d (padded vocab 56)", len(full), batch*seq*56)
			}
			st := m.NewState(batch)
			got := make([]float32, len(full))
			s0 := 0
			for _, n := range []int{7, 1, 1, 11} {
				l, err := m.Forward(timeSlice(tokens, batch, seq, 1, s0, s0+n), batch, n, st)
				if err != nil {
					t.Fatal(err)
				}
				pasteTime(got, l, batch, seq, 56, s0, s0+n)
				s0 += n
			}
			requireClose(t, "logits", got, full, 1e-5, 1e-5)
		})
	}
}

// TestForwardAllocatesOnlyLogits checks that the buffers of a (batch, seq)
// shape are reused: a repeated call allocates just the returned logits, in
// float32 and under f16 autocast (whose scratch is pooled). bf16 is left
// out: kernel.SgemmBF16's AVX-512 path allocates one closure per GEMM call
// (in package kernel, outside this model's buffers).
func TestForwardAllocatesOnlyLogits(t *testing.T) {
	for _, cast := range []nn.Autocast{nn.AutocastOff, nn.AutocastF16} {
		m := newRandomModel(t, smallConfig(), 4)
		m.SetPrecision(cast)
		st := m.NewState(2)
		for _, seq := range []int{1, 9} {
			tokens := make([]int32, 2*seq)
			allocs := testing.AllocsPerRun(5, func() {
				if _, err := m.Forward(tokens, 2, seq, st); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > 1 {
				t.Errorf("%v, seq %d: %g allocations per call, want 1 (the logits)", cast, seq, allocs)
			}
		}
	}
}

package mamba

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/nn"
)

// adapterGrads is one trainable matrix of an attached adapter: its values
// and the gradient the backward accumulates for it.
type adapterGrads struct {
	name        string
	value, grad []float32
}

// attachAdapters attaches a training LoRA of rank r to every Linear of m
// that Modules offers (in_proj, x_proj, dt_proj, out_proj of each layer and
// the LM head) and to the embedding, with random A and B, both non-zero
// (PEFT's init leaves B zero, which would hide every path through A), scale
// 1 and no dropout. It returns the A and B matrices with their gradients,
// in a fixed order.
func attachAdapters(t *testing.T, m *Model, r int, seed uint64) []adapterGrads {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	normal := func(n int, std float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(std * rng.NormFloat64())
		}
		return x
	}
	mods := m.Modules()
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []adapterGrads
	for _, name := range names {
		mod := mods[name]
		if mod.Unsupported != "" {
			t.Fatalf("%s: %s", name, mod.Unsupported)
		}
		switch mod.Kind {
		case nn.KindLinear:
			l, err := nn.NewLoRA(normal(r*mod.In, 0.3), normal(mod.Out*r, 0.1), r, mod.In, mod.Out, 1)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, make([]float32, len(l.A)), make([]float32, len(l.B))
			mod.Linear.LoRA = l
			out = append(out, adapterGrads{name + ".lora_A", l.A, l.GradA}, adapterGrads{name + ".lora_B", l.B, l.GradB})
		case nn.KindEmbedding:
			l, err := nn.NewEmbeddingLoRA(normal(r*mod.In, 0.3), normal(mod.Out*r, 0.1), r, mod.In, mod.Out, 1)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, make([]float32, len(l.A)), make([]float32, len(l.B))
			mod.Embedding.LoRA = l
			out = append(out, adapterGrads{name + ".lora_embedding_A", l.A, l.GradA}, adapterGrads{name + ".lora_embedding_B", l.B, l.GradB})
		}
	}
	if want := 2 * (2 + 4*len(m.layers)); len(out) != want {
		t.Fatalf("%d adapter matrices, want %d", len(out), want)
	}
	return out
}

// snapshotGrads copies the adapters' gradients and zeroes them.
func snapshotGrads(ads []adapterGrads) [][]float32 {
	out := make([][]float32, len(ads))
	for i, a := range ads {
		out[i] = slices.Clone(a.grad)
		clear(a.grad)
	}
	return out
}

// frozenCase is a model and batch for the frozen-base tests.
type frozenCase struct {
	name       string
	cfg        Config
	batch, seq int
	seed       float32
}

var frozenCases = []frozenCase{
	{"untied_bias_seed0.5", tinyConfig(true, false), 2, 9, 0.5},
	{"tied_no_bias", tinyConfig(false, true), 3, 6, 1},
}

// TestFrozenBaseAdapterGradsEqualFullRun checks LossAndGradTargets with
// grads == nil against a run with full gradients, in float32 and under both
// autocast formats: the adapters' gradients agree to 1e-6 of each tensor's
// absmax (measured: equal bit for bit, as both runs do the same activation
// arithmetic), the losses are equal, and the nil-grads call changes no base
// weight.
func TestFrozenBaseAdapterGradsEqualFullRun(t *testing.T) {
	for _, c := range frozenCases {
		for _, cast := range []nn.Autocast{nn.AutocastOff, nn.AutocastBF16, nn.AutocastF16} {
			t.Run(c.name+"/"+cast.String(), func(t *testing.T) {
				m := perturbedModel(t, c.cfg, 11)
				m.SetPrecision(cast)
				ads := attachAdapters(t, m, 2, 3)
				tokens := randomTokens(c.batch*c.seq, c.cfg.VocabSize, 5)
				targets := shiftedTargets(tokens, c.seq)
				before := m.NewGrads() // a copy of the weights, by name
				for i, p := range m.Params() {
					copy(before[i].Data, p.Data)
				}
				frozenLoss, err := m.LossAndGradTargets(tokens, targets, c.batch, c.seq, c.seed, nil)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range m.Params() {
					if !slices.Equal(p.Data, before[i].Data) {
						t.Errorf("%s changed by a frozen-base call", p.Name)
					}
				}
				frozen := snapshotGrads(ads)
				fullLoss, err := m.LossAndGradTargets(tokens, targets, c.batch, c.seq, c.seed, m.NewGrads())
				if err != nil {
					t.Fatal(err)
				}
				if frozenLoss != fullLoss {
					t.Errorf("loss %.9g with grads == nil, %.9g with grads", frozenLoss, fullLoss)
				}
				for i, a := range ads {
					scale := absMax(a.grad)
					if scale == 0 {
						t.Errorf("%s: zero gradient", a.name)
					}
					fixture.RequireClose(t, a.name, frozen[i], a.grad, 1e-6*scale, 0)
				}
			})
		}
	}
}

// TestFrozenBaseAdapterGradsMatchFiniteDifferences checks the adapters'
// gradients of a frozen-base call (float32) against central differences of
// Forward's loss (cross-entropy accumulated in float64), Richardson-
// extrapolated from eps 1e-2 and 5e-3, on the entry of largest |g| and one
// random entry of every A and B, dt_proj's and the embedding's included.
// Tolerance as TestLossAndGradMatchesFiniteDifferences: 2e-5 + 1e-3·|fd|.
func TestFrozenBaseAdapterGradsMatchFiniteDifferences(t *testing.T) {
	for _, c := range frozenCases {
		t.Run(c.name, func(t *testing.T) {
			m := perturbedModel(t, c.cfg, 11)
			ads := attachAdapters(t, m, 2, 3)
			tokens := randomTokens(c.batch*c.seq, c.cfg.VocabSize, 5)
			targets := shiftedTargets(tokens, c.seq)
			if _, err := m.LossAndGradTargets(tokens, targets, c.batch, c.seq, c.seed, nil); err != nil {
				t.Fatal(err)
			}
			lossAt := func() float64 {
				logits, err := m.Forward(tokens, c.batch, c.seq, nil)
				if err != nil {
					t.Fatal(err)
				}
				loss, _, err := nn.CrossEntropy(nil, logits, targets, m.VocabSize())
				if err != nil {
					t.Fatal(err)
				}
				return float64(c.seed) * loss
			}
			fd := func(p []float32, j int, h float32) float64 {
				orig := p[j]
				p[j] = orig + h
				up := lossAt()
				p[j] = orig - h
				down := lossAt()
				p[j] = orig
				return (up - down) / (2 * float64(h))
			}
			rng := rand.New(rand.NewPCG(4, 4))
			const eps = 1e-2
			worst := 0.0
			for _, a := range ads {
				for _, j := range []int{argAbsMax(a.grad), rng.IntN(len(a.grad))} {
					want := (4*fd(a.value, j, eps/2) - fd(a.value, j, eps)) / 3
					d := math.Abs(want - float64(a.grad[j]))
					worst = max(worst, d)
					if d > 2e-5+1e-3*math.Abs(want) {
						t.Errorf("%s[%d]: autograd %.6g, finite difference %.6g (abs %.3g)", a.name, j, a.grad[j], want, d)
					}
				}
			}
			t.Logf("worst |autograd − fd| over %d adapter matrices: %.3g", len(ads), worst)
		})
	}
}

// TestFrozenBaseFixtureModel repeats the nil-versus-full comparison of
// TestFrozenBaseAdapterGradsEqualFullRun on the fixture model (the real
// config's sizes, tied head, rank-4 adapters) through LossAndGrad.
func TestFrozenBaseFixtureModel(t *testing.T) {
	m := fixtureModel(t, fixture.Path(t, "mamba1"), false)
	ads := attachAdapters(t, m, 4, 8)
	tokens, batch, seq := fixture.Tokens(t, "mamba1")
	frozenLoss, err := m.LossAndGrad(tokens, batch, seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	frozen := snapshotGrads(ads)
	fullLoss, err := m.LossAndGrad(tokens, batch, seq, m.NewGrads())
	if err != nil {
		t.Fatal(err)
	}
	if frozenLoss != fullLoss {
		t.Errorf("loss %.9g with grads == nil, %.9g with grads", frozenLoss, fullLoss)
	}
	for i, a := range ads {
		fixture.RequireClose(t, a.name, frozen[i], a.grad, 1e-6*absMax(a.grad), 0)
	}
}

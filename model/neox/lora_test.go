package neox

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// adapterParam is one trainable tensor of an attached adapter and the
// gradient its training Backward accumulates.
type adapterParam struct {
	name       string
	data, grad []float32
}

// adaptedModules are the modules the LoRA tests adapt: the embedding, every
// kind of Linear of a block and the LM head.
var adaptedModules = []string{
	"gpt_neox.embed_in",
	"gpt_neox.layers.0.attention.query_key_value",
	"gpt_neox.layers.1.attention.dense",
	"gpt_neox.layers.0.mlp.dense_h_to_4h",
	"gpt_neox.layers.1.mlp.dense_4h_to_h",
	"embed_out",
}

// attachAdapters attaches rank-2 adapters in training (Dropout 0, scale 2)
// with random A and random non-zero B to adaptedModules of m, and returns
// their A and B with zeroed gradients.
func attachAdapters(t *testing.T, m *Model, seed uint64) []adapterParam {
	t.Helper()
	const rank, scale = 2, 2
	r := rand.New(rand.NewPCG(seed, 11))
	random := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = 0.3 * float32(r.NormFloat64())
		}
		return s
	}
	mods := m.Modules()
	var ps []adapterParam
	for _, name := range adaptedModules {
		mod, ok := mods[name]
		if !ok || mod.Unsupported != "" {
			t.Fatalf("module %s: missing or unsupported (%q)", name, mod.Unsupported)
		}
		a, b := random(rank*mod.In), random(mod.Out*rank)
		ga, gb := make([]float32, len(a)), make([]float32, len(b))
		switch mod.Kind {
		case nn.KindEmbedding:
			l, err := nn.NewEmbeddingLoRA(a, b, rank, mod.In, mod.Out, scale)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, ga, gb
			mod.Embedding.LoRA = l
		case nn.KindLinear:
			l, err := nn.NewLoRA(a, b, rank, mod.In, mod.Out, scale)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, ga, gb
			mod.Linear.LoRA = l
		default:
			t.Fatalf("module %s is a %s", name, mod.Kind)
		}
		ps = append(ps, adapterParam{name + ".lora_A", a, ga}, adapterParam{name + ".lora_B", b, gb})
	}
	return ps
}

// snapshotGrads returns copies of the adapters' gradients and zeroes them.
func snapshotGrads(ps []adapterParam) [][]float32 {
	out := make([][]float32, len(ps))
	for i, p := range ps {
		out[i] = slices.Clone(p.grad)
		clear(p.grad)
	}
	return out
}

// absMax is max |x|.
func absMax(xs []float32) float64 {
	var m float64
	for _, x := range xs {
		m = max(m, math.Abs(float64(x)))
	}
	return m
}

// loraCases are the configurations the frozen-base tests run.
var loraCases = []struct {
	name string
	edit func(*Config)
}{
	{"parallel_gelu", func(*Config) {}},
	{"sequential_residual", func(c *Config) { c.UseParallelResidual = false }},
	{"gelu_new_no_bias_tied", func(c *Config) { c.HiddenAct = "gelu_new"; c.AttentionBias = false; c.TieWordEmbeddings = true }},
}

var loraTokens = []int32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}

const loraBatch, loraSeq = 2, 6

// TestFrozenBaseAdapterGradsEqualFullGrads checks that LossAndGrad with
// grads nil (a frozen base) returns the same loss and accumulates the same
// adapter gradients as a run with full gradients (within 1e-6 of each
// tensor's absmax; the arithmetic is the same, so they agree bit for bit),
// in float32 and under bf16 autocast, and leaves every base parameter
// unchanged.
func TestFrozenBaseAdapterGradsEqualFullGrads(t *testing.T) {
	for _, cast := range []nn.Autocast{nn.AutocastOff, nn.AutocastBF16} {
		for _, c := range loraCases {
			t.Run(cast.String()+"/"+c.name, func(t *testing.T) {
				cfg := tinyConfig()
				c.edit(&cfg)
				m := newRandomModel(t, cfg)
				m.SetPrecision(cast)
				ps := attachAdapters(t, m, 1)
				checkFrozenBase(t, m, ps)
			})
		}
	}
}

// checkFrozenBase runs LossAndGrad with full gradients, then with grads
// nil, and compares the loss, the adapter gradients and the base weights.
func checkFrozenBase(t *testing.T, m *Model, ps []adapterParam) {
	t.Helper()
	fullLoss, err := m.LossAndGrad(loraTokens, loraBatch, loraSeq, m.NewGrads())
	if err != nil {
		t.Fatal(err)
	}
	full := snapshotGrads(ps)
	before := m.Params()
	for i := range before {
		before[i].Data = slices.Clone(before[i].Data)
	}
	frozenLoss, err := m.LossAndGrad(loraTokens, loraBatch, loraSeq, nil)
	if err != nil {
		t.Fatal(err)
	}
	if frozenLoss != fullLoss {
		t.Errorf("loss with grads nil %.9g, with grads %.9g", frozenLoss, fullLoss)
	}
	for i, p := range m.Params() {
		if !slices.Equal(p.Data, before[i].Data) {
			t.Errorf("%s changed by a frozen-base LossAndGrad", p.Name)
		}
	}
	for i, p := range ps {
		if absMax(full[i]) == 0 {
			t.Errorf("%s: zero gradient, the test cannot fail", p.name)
		}
		requireClose(t, p.name, p.grad, full[i], 1e-6*absMax(full[i]))
	}
}

// TestFrozenBaseAdapterGradsMatchFiniteDifferences checks a few elements of
// every adapter's A and B gradient, accumulated by a frozen-base
// LossAndGradTargets with seed 0.5, against central differences of the
// loss of Forward's float32 logits (cross-entropy in float64). With
// eps = 3e-3 the truncation error (O(eps²)) and the float32 rounding of the
// loss (about 1e-7·loss/eps) together stay below 1e-3 of the tensor's
// absmax (measured ≤ 3.0e-4; eps = 1e-2 is too coarse, 4e-3, and 1e-3 too
// noisy, 8e-4).
func TestFrozenBaseAdapterGradsMatchFiniteDifferences(t *testing.T) {
	for _, c := range loraCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			c.edit(&cfg)
			m := newRandomModel(t, cfg)
			ps := attachAdapters(t, m, 2)
			targets := shifted(loraTokens, loraSeq)
			const seed = 0.5
			if _, err := m.LossAndGradTargets(loraTokens, targets, loraBatch, loraSeq, seed, nil); err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				logits, err := m.Forward(loraTokens, loraBatch, loraSeq, nil)
				if err != nil {
					t.Fatal(err)
				}
				return crossEntropy64(logits, targets, cfg.VocabSize)
			}
			for _, p := range ps {
				absmax := absMax(p.grad) / seed
				for _, j := range probeIndices(p, loraTokens) {
					orig := p.data[j]
					const eps = 3e-3
					p.data[j] = orig + eps
					hi, lp := p.data[j], loss()
					p.data[j] = orig - eps
					lo, lm := p.data[j], loss()
					p.data[j] = orig
					fd := (lp - lm) / (float64(hi) - float64(lo))
					if got := float64(p.grad[j]) / seed; math.Abs(got-fd) > 1e-3*absmax+1e-6 {
						t.Errorf("%s[%d]: grad %.6g, finite difference %.6g (tensor absmax %.3g)", p.name, j, got, fd, absmax)
					}
				}
			}
		})
	}
}

// probeIndices returns the elements of p to check by finite differences:
// the first, a middle and the last, and for an embedding's A (R, Vocab) the
// columns of two input tokens (the others have zero gradient).
func probeIndices(p adapterParam, tokens []int32) []int {
	n := len(p.data)
	if p.name == "gpt_neox.embed_in.lora_A" {
		vocab := n / 2 // rank 2
		return []int{int(tokens[0]), vocab + int(tokens[5]), int(tokens[3])}
	}
	return []int{0, n / 3, n - 1}
}

// crossEntropy64 is the mean cross-entropy, in float64, of logits (rows,
// vocab) against the targets that are not nn.IgnoreIndex.
func crossEntropy64(logits []float32, targets []int32, vocab int) float64 {
	var sum float64
	var n int
	for r, tgt := range targets {
		if tgt == nn.IgnoreIndex {
			continue
		}
		row := logits[r*vocab : (r+1)*vocab]
		mx := math.Inf(-1)
		for _, x := range row {
			mx = math.Max(mx, float64(x))
		}
		var s float64
		for _, x := range row {
			s += math.Exp(float64(x) - mx)
		}
		sum += math.Log(s) + mx - float64(row[tgt])
		n++
	}
	return sum / float64(n)
}

package mamba2

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// trainAdapter is one adapter attached for training, with a float64 copy of
// its A and B that the float64 twin merges into its weights.
type trainAdapter struct {
	module   string            // the Modules() path
	weight   string            // the adapted weight's Params name
	lin      *nn.LoRA          // set for a Linear
	emb      *nn.EmbeddingLoRA // set for the embedding
	a64, b64 []float64         // A and B widened
}

// params returns the adapter's float32 A and B and their gradients.
func (ad *trainAdapter) params() (a, b, gradA, gradB []float32) {
	if ad.lin != nil {
		return ad.lin.A, ad.lin.B, ad.lin.GradA, ad.lin.GradB
	}
	return ad.emb.A, ad.emb.B, ad.emb.GradA, ad.emb.GradB
}

// clearGrads zeroes GradA and GradB.
func (ad *trainAdapter) clearGrads() {
	_, _, ga, gb := ad.params()
	clear(ga)
	clear(gb)
}

// merge64 adds the adapter, from its float64 A and B, into the twin's copy
// of the adapted weight: W += s·B·A for a Linear (Out, In), E += s·(B·A)ᵀ
// for the embedding (Vocab, Dim).
func (ad *trainAdapter) merge64(tw *twin64) {
	w := tw.w[ad.weight]
	if ad.lin != nil {
		l := ad.lin
		for o := range l.Out {
			for i := range l.In {
				for k := range l.R {
					w[o*l.In+i] += float64(l.Scale) * ad.b64[o*l.R+k] * ad.a64[k*l.In+i]
				}
			}
		}
		return
	}
	l := ad.emb
	for t := range l.Vocab {
		for d := range l.Dim {
			for k := range l.R {
				w[t*l.Dim+d] += float64(l.Scale) * ad.b64[d*l.R+k] * ad.a64[k*l.Vocab+t]
			}
		}
	}
}

// attachTrainAdapters attaches a rank-2 LoRA in training (dropout 0, random
// A and non-zero random B, scale 0.75) to in_proj and out_proj of every
// layer, to lm_head and to the embedding, through Modules.
func attachTrainAdapters(t testing.TB, m *Model, seed uint64) []*trainAdapter {
	t.Helper()
	const r, scale = 2, 0.75
	rng := rand.New(rand.NewPCG(seed, 4))
	normal := func(n int, std float64) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(std * rng.NormFloat64())
		}
		return s
	}
	widen := func(x []float32) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	mods := m.Modules()
	names := []string{"backbone.embeddings", "lm_head"}
	for i := range m.Blocks {
		names = append(names, fmt.Sprintf("backbone.layers.%d.mixer.in_proj", i), fmt.Sprintf("backbone.layers.%d.mixer.out_proj", i))
	}
	var ads []*trainAdapter
	for _, name := range names {
		mod := mods[name]
		if mod.Unsupported != "" {
			t.Fatalf("%s: %s", name, mod.Unsupported)
		}
		a, b := normal(r*mod.In, 0.2), normal(mod.Out*r, 0.2)
		ad := &trainAdapter{module: name, weight: name + ".weight", a64: widen(a), b64: widen(b)}
		if mod.Kind == nn.KindEmbedding {
			l, err := nn.NewEmbeddingLoRA(a, b, r, mod.In, mod.Out, scale)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, make([]float32, len(a)), make([]float32, len(b))
			mod.Embedding.LoRA, ad.emb = l, l
		} else {
			l, err := nn.NewLoRA(a, b, r, mod.In, mod.Out, scale)
			if err != nil {
				t.Fatal(err)
			}
			l.Train, l.GradA, l.GradB = true, make([]float32, len(a)), make([]float32, len(b))
			mod.Linear.LoRA, ad.lin = l, l
		}
		ads = append(ads, ad)
	}
	return ads
}

// adaptedTwin is the float64 twin of m with every adapter merged into its own
// copy of the adapted weight; a tied head and embedding are viewed untied, as
// the adapters on lm_head and on the embedding change only their own use of
// the shared table.
func adaptedTwin(m *Model, ads []*trainAdapter) *twin64 {
	tw := newTwin64(m)
	tw.c.TieEmbeddings = false // Params lists lm_head.weight even when tied
	for _, ad := range ads {
		ad.merge64(tw)
	}
	return tw
}

// TestFrozenBaseLoRAGradients checks LossAndGradTargets with grads == nil
// (a frozen base) and adapters in training on in_proj, out_proj, lm_head and
// the embedding:
//
//   - the adapter gradients equal those of a call with full gradients
//     (within 1e-6 of each tensor's absmax; measured: bit-identical), and the
//     loss is the same;
//   - they match float64 central differences (eps 1e-4) of the float64 twin
//     with the adapters merged, on the largest and a random entry of each A
//     and B, within 1e-5 of the tensor's absmax, the float32 rounding of the
//     backward (as TestLossAndGradMatchesFloat64Twin; measured ≤ 8.5e-7);
//   - a frozen call changes no base weight, and a second one repeats the loss.
//
// Under bf16 autocast the first and last checks hold as well (the
// differences would be rounding-level, so there are none); the float64
// twin has no autocast, so the finite differences run in float32 only.
func TestFrozenBaseLoRAGradients(t *testing.T) {
	tied := smallConfig()
	tied.TieEmbeddings, tied.NGroups, tied.DHasHdim = true, 1, false
	for _, c := range []struct {
		name string
		cfg  Config
		cast nn.Autocast
	}{
		{"groups2_bias_untied", smallConfig(), nn.AutocastOff},
		{"tied", tied, nn.AutocastOff},
		{"groups2_bias_untied_bf16", smallConfig(), nn.AutocastBF16},
	} {
		t.Run(c.name, func(t *testing.T) {
			const batch, seq, seed = 2, 11, 0.5
			m := perturbedModel(t, c.cfg, 21)
			ads := attachTrainAdapters(t, m, 22)
			m.SetPrecision(c.cast)
			tokens := randomTokens(batch*seq, c.cfg.VocabSize, 23)
			targets := shiftedTargets(tokens, seq)
			before := make([][]float32, 0)
			for _, p := range m.Params() {
				before = append(before, slices.Clone(p.Data))
			}

			frozenLoss, err := m.LossAndGradTargets(tokens, targets, batch, seq, seed, nil)
			if err != nil {
				t.Fatal(err)
			}
			frozen := make([][2][]float32, len(ads))
			for i, ad := range ads {
				_, _, ga, gb := ad.params()
				frozen[i] = [2][]float32{slices.Clone(ga), slices.Clone(gb)}
				ad.clearGrads()
			}
			for i, p := range m.Params() {
				if !slices.Equal(p.Data, before[i]) {
					t.Errorf("frozen call changed base weight %s", p.Name)
				}
			}
			again, err := m.LossAndGradTargets(tokens, targets, batch, seq, seed, nil)
			if err != nil || again != frozenLoss {
				t.Errorf("second frozen call: loss %.9g (%v), first %.9g", again, err, frozenLoss)
			}
			for _, ad := range ads {
				ad.clearGrads()
			}

			fullLoss, err := m.LossAndGradTargets(tokens, targets, batch, seq, seed, m.NewGrads())
			if err != nil {
				t.Fatal(err)
			}
			if fullLoss != frozenLoss {
				t.Errorf("loss %.9g with grads, %.9g frozen", fullLoss, frozenLoss)
			}
			for i, ad := range ads {
				_, _, ga, gb := ad.params()
				requireClose(t, ad.module+" GradA frozen vs full", frozen[i][0], ga, 1e-6*absMax(ga), 0)
				requireClose(t, ad.module+" GradB frozen vs full", frozen[i][1], gb, 1e-6*absMax(gb), 0)
			}
			if c.cast != nn.AutocastOff {
				return
			}

			tw := adaptedTwin(m, ads)
			if l64 := tw.loss(tokens, targets, batch, seq, 1); math.Abs(l64-frozenLoss) > 1e-5 {
				t.Fatalf("float32 loss %.9g, float64 twin with merged adapters %.9g", frozenLoss, l64)
			}
			checkAdapterGradsFD(t, m, ads, frozen, tokens, targets, batch, seq, seed)
		})
	}
}

// checkAdapterGradsFD compares each adapter's gradients with float64 central
// differences of the adapted twin, perturbing the float64 A or B.
func checkAdapterGradsFD(t *testing.T, m *Model, ads []*trainAdapter, grads [][2][]float32, tokens, targets []int32, batch, seq int, seed float64) {
	t.Helper()
	const eps = 1e-4
	r := rand.New(rand.NewPCG(24, 24))
	worst, worstName := 0.0, ""
	for i, ad := range ads {
		for k, p := range [2][]float64{ad.a64, ad.b64} {
			g := grads[i][k]
			scale := absMax(g)
			if scale == 0 {
				t.Fatalf("%s: zero gradient of %s", ad.module, [2]string{"A", "B"}[k])
			}
			for _, j := range []int{argAbsMax(g), r.IntN(len(g))} {
				orig := p[j]
				p[j] = orig + eps
				up := adaptedTwin(m, ads).loss(tokens, targets, batch, seq, seed)
				p[j] = orig - eps
				down := adaptedTwin(m, ads).loss(tokens, targets, batch, seq, seed)
				p[j] = orig
				want := (up - down) / (2 * eps)
				d := math.Abs(want - float64(g[j]))
				name := fmt.Sprintf("%s %s[%d]", ad.module, [2]string{"A", "B"}[k], j)
				if d/scale > worst {
					worst, worstName = d/scale, name
				}
				if d > 1e-5*scale+1e-10 {
					t.Errorf("%s: frozen-base autograd %.7g, float64 finite difference %.7g (abs %.3g = %.3g of the tensor's absmax %.3g)",
						name, g[j], want, d, d/scale, scale)
				}
			}
		}
	}
	t.Logf("worst |autograd − fd| / tensor absmax: %.3g at %s", worst, worstName)
}

// TestLMHeadAdapterMergesIntoUntiedHead checks the lm_head handle of a tied
// model: an attached adapter changes the logits, and Untie then Merge into
// the handle's weight reproduces them (within float32 rounding, 1e-5) while
// the embedding table stays as it was.
func TestLMHeadAdapterMergesIntoUntiedHead(t *testing.T) {
	c := smallConfig()
	c.TieEmbeddings, c.DHasHdim = true, false
	m := perturbedModel(t, c, 31)
	tokens := randomTokens(2*7, c.VocabSize, 32)
	base, err := m.Forward(tokens, 2, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	emb := slices.Clone(m.Embedding.Weight)
	var head *trainAdapter
	for _, ad := range attachTrainAdapters(t, m, 33) {
		if ad.module == "lm_head" {
			head = ad
			continue
		}
		ad.detach(m)
	}
	head.lin.Train = false
	adapted, err := m.Forward(tokens, 2, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := absMaxDiff(adapted, base); d < 1e-3 {
		t.Fatalf("the lm_head adapter moved the logits by only %.3g", d)
	}
	mod := m.Modules()["lm_head"]
	mod.Untie()
	head.lin.Merge(mod.Linear.Weight)
	mod.Linear.LoRA = nil
	merged, err := m.Forward(tokens, 2, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireClose(t, "merged vs attached logits", merged, adapted, 1e-5, 1e-5)
	if !slices.Equal(m.Embedding.Weight, emb) {
		t.Error("merging the lm_head adapter changed the embedding table")
	}
}

// detach removes the adapter from m.
func (ad *trainAdapter) detach(m *Model) {
	mod := m.Modules()[ad.module]
	if ad.emb != nil {
		mod.Embedding.LoRA = nil
		return
	}
	mod.Linear.LoRA = nil
}

// absMaxDiff is max |a − b|.
func absMaxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

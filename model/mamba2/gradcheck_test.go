package mamba2

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// randomTokens returns n token ids in [0, vocab) drawn from seed.
func randomTokens(n, vocab int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(r.IntN(vocab))
	}
	return out
}

// TestLossAndGradMatchesFiniteDifferences is the README's check on the
// fixture model: float32 central differences of Forward's loss (eps 1e-2
// and 5e-3, Richardson-extrapolated, which cancels the eps² term) against
// LossAndGrad, on the entry of largest |g| and a random entry of every
// parameter tensor and of every row block of in_proj and conv1d
// (rowBlocks). The float32 rounding of the loss (≈1e-6 over 2·eps) makes
// the differences good to a few 1e-5 absolute (measured: ≤ 3e-5), hence
// atol 1e-4 and rtol 1e-3. TestLossAndGradMatchesFloat64Twin is the sharp
// check; this one ties the fixture model to the README's numbers.
func TestLossAndGradMatchesFiniteDifferences(t *testing.T) {
	m := fixtureModel(t, "", nil)
	tokens, batch, seq := fixture.Tokens(t, "mamba2")
	targets := shiftedTargets(tokens, seq)
	grads := m.NewGrads()
	if _, err := m.LossAndGrad(tokens, batch, seq, grads); err != nil {
		t.Fatal(err)
	}
	lossAt := func() float64 {
		logits, err := m.Forward(tokens, batch, seq, nil)
		if err != nil {
			t.Fatal(err)
		}
		loss, _, err := nn.CrossEntropy(nil, logits, targets, m.VocabSize())
		if err != nil {
			t.Fatal(err)
		}
		return loss
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
	r := rand.New(rand.NewPCG(9, 9))
	const eps = 1e-2
	worst := 0.0
	for i, p := range m.Params()[:len(grads)] {
		g := grads[i].Data
		for _, j := range sampleEntries(m.Config, p.Name, g, r) {
			want := (4*fd(p.Data, j, eps/2) - fd(p.Data, j, eps)) / 3
			d := math.Abs(want - float64(g[j]))
			worst = max(worst, d)
			if d > 1e-4+1e-3*math.Abs(want) {
				t.Errorf("%s[%d]: autograd %.6g, finite difference %.6g (abs %.3g, rel %.3g)",
					p.Name, j, g[j], want, d, d/math.Abs(want))
			}
		}
	}
	t.Logf("worst |autograd − fd|: %.3g", worst)
}

// TestLossAndGradMatchesFloat64Twin checks LossAndGradTargets against
// float64 central differences (eps 1e-4) of twin64, an independent float64
// recurrent Mamba-2 with the same weights, on the entry of largest |g| and a
// random entry of every tensor and of every row block of in_proj and conv1d.
// The differences are exact to ≈1e-11, so what is left is the float32
// rounding of the backward: within 1e-5 of each tensor's absmax (measured:
// ≤ 2e-6, and 4e-5 on a dt_bias whose absmax is 1.5e-7, hence also atol
// 1e-10), where a 1% error in any path shows. The
// small models reach what the fixture model lacks: two groups, D_has_hdim,
// biases, an untied head, vocab padding, no gated norm, a clamped Δ,
// ignored targets and a seed.
func TestLossAndGradMatchesFloat64Twin(t *testing.T) {
	noGate := smallConfig()
	noGate.GatedNorm, noGate.TieEmbeddings, noGate.DHasHdim, noGate.NGroups = false, true, false, 1
	clamped := smallConfig()
	clamped.DtLimit = [2]float64{0.01, 0.05} // Δ spans about 0.001…0.1: clamped at both ends
	for _, c := range []struct {
		name   string
		cfg    Config
		seq    int
		ignore int // every ignore-th target is nn.IgnoreIndex (0: shifted tokens, as LossAndGrad)
		seed   float32
	}{
		{"groups2_hdimD_bias_untied_ignored_seed0.5", smallConfig(), 13, 3, 0.5},
		{"no_gated_norm_tied", noGate, 13, 0, 1},
		{"dt_limit_partly_clamped", clamped, 13, 0, 1},
		{"seq1_recurrent_forward", smallConfig(), 1, 2, 1}, // Forward's seq = 1 path is SSDRecurrent
	} {
		t.Run(c.name, func(t *testing.T) {
			const batch = 2
			m := perturbedModel(t, c.cfg, 11)
			tokens := randomTokens(batch*c.seq, c.cfg.VocabSize, 5)
			targets := shiftedTargets(tokens, c.seq)
			if c.ignore > 0 {
				targets = randomTokens(len(tokens), c.cfg.VocabSize, 6)
				for r := 0; r < len(targets); r += c.ignore {
					targets[r] = nn.IgnoreIndex
				}
			}
			grads := m.NewGrads()
			loss, err := m.LossAndGradTargets(tokens, targets, batch, c.seq, c.seed, grads)
			if err != nil {
				t.Fatal(err)
			}
			tw := newTwin64(m)
			if l64 := tw.loss(tokens, targets, batch, c.seq, 1); math.Abs(l64-loss) > 1e-5 {
				t.Fatalf("float32 loss %.9g, float64 twin %.9g", loss, l64)
			}
			r := rand.New(rand.NewPCG(9, 9))
			const eps = 1e-4
			worst, worstName := 0.0, ""
			for i, p := range grads {
				g, w := p.Data, tw.w[p.Name]
				scale := absMax(g)
				for _, j := range sampleEntries(c.cfg, p.Name, g, r) {
					orig := w[j]
					w[j] = orig + eps
					up := tw.loss(tokens, targets, batch, c.seq, float64(c.seed))
					w[j] = orig - eps
					down := tw.loss(tokens, targets, batch, c.seq, float64(c.seed))
					w[j] = orig
					want := (up - down) / (2 * eps)
					d := math.Abs(want - float64(g[j]))
					if d/scale > worst {
						worst, worstName = d/scale, fmt.Sprintf("%s[%d]", p.Name, j)
					}
					if d > 1e-5*scale+1e-10 {
						t.Errorf("%s[%d]: autograd %.7g, float64 finite difference %.7g (abs %.3g = %.3g of the tensor's absmax %.3g)",
							grads[i].Name, j, g[j], want, d, d/scale, scale)
					}
				}
			}
			t.Logf("worst |autograd − fd| / tensor absmax: %.3g at %s", worst, worstName)
		})
	}
}

// sampleEntries returns the indices a gradient check tries: the largest |g|
// and a random entry of each of rowBlocks' blocks.
func sampleEntries(c Config, name string, g []float32, r *rand.Rand) []int {
	var entries []int
	for _, blk := range rowBlocks(c, name, len(g)) {
		entries = append(entries, blk[0]+argAbsMax(g[blk[0]:blk[1]]), blk[0]+r.IntN(blk[1]-blk[0]))
	}
	return entries
}

// rowBlocks splits a parameter of n values into the index ranges that feed
// different paths, so that each is checked: in_proj's rows [z | x | B | C |
// dt] and conv1d's channels [x | B | C]; any other tensor is one block.
func rowBlocks(c Config, name string, n int) [][2]int {
	dI, gn := c.DInner(), c.NGroups*c.DState
	var bounds []int
	switch {
	case strings.HasSuffix(name, "in_proj.weight"), strings.HasSuffix(name, "in_proj.bias"):
		bounds = []int{0, dI, 2 * dI, 2*dI + gn, 2*dI + 2*gn, c.DInProj()}
	case strings.HasSuffix(name, "conv1d.weight"), strings.HasSuffix(name, "conv1d.bias"):
		bounds = []int{0, dI, dI + gn, c.ConvDim()}
	default:
		return [][2]int{{0, n}}
	}
	per := n / bounds[len(bounds)-1] // values per row or channel
	blocks := make([][2]int, len(bounds)-1)
	for i := range blocks {
		blocks[i] = [2]int{bounds[i] * per, bounds[i+1] * per}
	}
	return blocks
}

// argAbsMax returns the index of the largest |x|.
func argAbsMax(x []float32) int {
	best := 0
	for i, v := range x {
		if math.Abs(float64(v)) > math.Abs(float64(x[best])) {
			best = i
		}
	}
	return best
}

// perturbedModel is newRandomModel with the fixtures' symmetry-breaking
// perturbation (embedding ×10, norm weights and D 1 + 0.2·N, A_log + 0.2·N)
// and non-zero biases, so that a dropped weight or bias shows in the
// gradients and they are large enough for finite differences.
func perturbedModel(t testing.TB, c Config, seed uint64) *Model {
	t.Helper()
	w := randomWeights(c, seed)
	r := rand.New(rand.NewPCG(seed, 3))
	names := slices.Sorted(maps.Keys(w))
	for _, name := range names {
		tn := w[name]
		for i := range tn.data {
			switch {
			case name == nameEmbedding || name == nameLMHead:
				tn.data[i] *= 10
			case hasSuffix(name, "norm.weight", "norm_f.weight", "mixer.D"):
				tn.data[i] = 1 + 0.2*float32(r.NormFloat64())
			case hasSuffix(name, "A_log"):
				tn.data[i] += 0.2 * float32(r.NormFloat64())
			case hasSuffix(name, "proj.bias"):
				tn.data[i] = 0.05 * float32(r.NormFloat64())
			}
		}
	}
	m, err := New(c, w)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// hasSuffix reports whether s ends with one of the suffixes.
func hasSuffix(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// TestLossAndGradDtLimit checks the clamp Δ = clamp(softplus(dt + dt_bias),
// lo, hi): where every Δ is clamped, no gradient reaches dt_bias or the dt
// rows of in_proj (torch.clamp's backward passes it only for inputs within
// the limits), while A_log still gets one through Δ·A.
func TestLossAndGradDtLimit(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit [2]float64
	}{
		{"all_above_high", [2]float64{0, 1e-6}},
		{"all_below_low", [2]float64{5, 10}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.DtLimit = c.limit
			m := perturbedModel(t, cfg, 14)
			grads := m.NewGrads()
			if _, err := m.LossAndGrad(randomTokens(2*9, cfg.VocabSize, 8), 2, 9, grads); err != nil {
				t.Fatal(err)
			}
			H, D := cfg.NHeads(), cfg.DModel
			for i := range cfg.NLayer {
				layer := fmt.Sprintf("backbone.layers.%d.mixer.", i)
				inProj := gradByName(t, grads, layer+"in_proj.weight")
				if n := absMax(inProj[(cfg.DInProj()-H)*D:]); n != 0 {
					t.Errorf("%sin_proj.weight dt rows: max |g| %g, want 0", layer, n)
				}
				if n := absMax(gradByName(t, grads, layer+"dt_bias")); n != 0 {
					t.Errorf("%sdt_bias: max |g| %g, want 0", layer, n)
				}
				if absMax(gradByName(t, grads, layer+"A_log")) == 0 {
					t.Errorf("%sA_log: zero gradient, want one through Δ·A", layer)
				}
			}
		})
	}
}

// gradByName returns the data of the gradient named name.
func gradByName(t testing.TB, grads []model.Param, name string) []float32 {
	t.Helper()
	for _, g := range grads {
		if g.Name == name {
			return g.Data
		}
	}
	t.Fatalf("no gradient %s", name)
	return nil
}

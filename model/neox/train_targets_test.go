package neox

import (
	"math"
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// shifted returns the next-token targets of tokens (batch, seq): the token
// after each position, nn.IgnoreIndex at each sequence's last.
func shifted(tokens []int32, seq int) []int32 {
	targets := make([]int32, len(tokens))
	for r := range targets {
		targets[r] = nn.IgnoreIndex
		if r%seq != seq-1 {
			targets[r] = tokens[r+1]
		}
	}
	return targets
}

// TestLossAndGradTargetsShiftedEqualsLossAndGrad checks, on the fixture, that
// explicit shifted targets give LossAndGrad's loss and gradients bit for bit,
// and that a power-of-two seed scales every gradient exactly.
func TestLossAndGradTargetsShiftedEqualsLossAndGrad(t *testing.T) {
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	want := m.NewGrads()
	wantLoss, err := m.LossAndGrad(tokens, batch, seq, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		seed float32
	}{{"seed_1", 1}, {"seed_0.25", 0.25}, {"seed_65536", 65536}} {
		t.Run(c.name, func(t *testing.T) {
			got := m.NewGrads()
			loss, err := m.LossAndGradTargets(tokens, shifted(tokens, seq), batch, seq, c.seed, got)
			if err != nil {
				t.Fatal(err)
			}
			if loss != wantLoss {
				t.Errorf("loss %.9g, LossAndGrad %.9g (the seed must not scale the loss)", loss, wantLoss)
			}
			for i := range got {
				for j, g := range got[i].Data {
					if w := c.seed * want[i].Data[j]; g != w {
						t.Errorf("%s[%d]: %.9g, want seed·LossAndGrad's = %.9g", got[i].Name, j, g, w)
						break
					}
				}
			}
		})
	}
}

// TestLossAndGradTargetsMatchesFiniteDifferences checks a few entries of
// every gradient against central differences of the float64 twin's masked
// mean cross-entropy, with targets that skip positions, target a token other
// than the next, and ignore whole rows.
func TestLossAndGradTargetsMatchesFiniteDifferences(t *testing.T) {
	tokens := []int32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}
	const batch, seq, ig = 2, 6, nn.IgnoreIndex
	cases := []struct {
		name    string
		targets []int32
		seed    float32
	}{
		{"prompt_masked", []int32{ig, ig, ig, 5, 9, 2, ig, ig, 3, 5, 8, ig}, 1},
		{"scattered_targets_seed_0.5", []int32{7, ig, 0, ig, 39, ig, 1, 1, ig, ig, ig, 2}, 0.5},
		{"one_row_ignored", []int32{ig, ig, ig, ig, ig, ig, 6, 5, 3, 5, 8, 11}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newRandomModel(t, tinyConfig())
			grads := m.NewGrads()
			loss, err := m.LossAndGradTargets(tokens, c.targets, batch, seq, c.seed, grads)
			if err != nil {
				t.Fatal(err)
			}
			refLoss := func() float64 { return referenceLossTargets(m, tokens, c.targets, batch, seq) }
			if want := refLoss(); math.Abs(loss-want) > 1e-5 {
				t.Errorf("loss %.7f, float64 twin %.7f", loss, want)
			}
			checkGradsByFiniteDifferences(t, m.Params(), grads, float64(c.seed), refLoss)
		})
	}
}

// checkGradsByFiniteDifferences compares three entries of each gradient,
// divided by seed, with central differences of loss.
func checkGradsByFiniteDifferences(t *testing.T, params, grads []model.Param, seed float64, loss func() float64) {
	t.Helper()
	for pi, p := range params {
		var absmax float64
		for _, x := range grads[pi].Data {
			absmax = max(absmax, math.Abs(float64(x)/seed))
		}
		for _, j := range []int{0, len(p.Data) / 3, len(p.Data) - 1} {
			orig := p.Data[j]
			const eps = 1e-3
			p.Data[j] = orig + eps
			hi, lp := p.Data[j], loss()
			p.Data[j] = orig - eps
			lo, lm := p.Data[j], loss()
			p.Data[j] = orig
			fd := (lp - lm) / (float64(hi) - float64(lo))
			if got := float64(grads[pi].Data[j]) / seed; math.Abs(got-fd) > 1e-3*absmax+1e-6 {
				t.Errorf("%s[%d]: grad/seed %.6g, finite difference %.6g (tensor absmax %.3g)", p.Name, j, got, fd, absmax)
			}
		}
	}
}

// referenceLossTargets is the mean cross-entropy of referenceLogits64
// against targets over those that are not nn.IgnoreIndex.
func referenceLossTargets(m *Model, tokens, targets []int32, batch, seq int) float64 {
	v := m.Config.VocabSize
	z := referenceLogits64(m, tokens, batch, seq)
	var loss float64
	var n int
	for r, tgt := range targets {
		if tgt == nn.IgnoreIndex {
			continue
		}
		row := z[r*v : (r+1)*v]
		mx := slices.Max(row)
		var sum float64
		for _, x := range row {
			sum += math.Exp(x - mx)
		}
		loss += math.Log(sum) + mx - row[tgt]
		n++
	}
	return loss / float64(n)
}

func TestLossAndGradTargetsRejectsBadTargets(t *testing.T) {
	m := newRandomModel(t, tinyConfig())
	tokens := []int32{1, 2, 3, 4}
	const ig = nn.IgnoreIndex
	for _, c := range []struct {
		name    string
		targets []int32
	}{
		{"too_few", []int32{2, 3, 4}},
		{"out_of_vocab", []int32{2, 3, 40, ig}},
		{"negative_not_ignore", []int32{2, -1, 4, ig}},
		{"all_ignored", []int32{ig, ig, ig, ig}},
	} {
		t.Run(c.name, func(t *testing.T) {
			grads := m.NewGrads()
			if _, err := m.LossAndGradTargets(tokens, c.targets, 1, 4, 1, grads); err == nil {
				t.Fatal("no error")
			} else {
				t.Log(err)
			}
			for _, g := range grads {
				if slices.ContainsFunc(g.Data, func(x float32) bool { return x != 0 }) {
					t.Fatalf("%s written on error", g.Name)
				}
			}
		})
	}
}

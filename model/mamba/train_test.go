package mamba

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/nn"
)

// mambaSSMName maps a gradient's HF name to the mamba_ssm name the fixtures
// store it under (only the embedding differs).
func mambaSSMName(hf string) string {
	if hf == nameEmbedding[1] {
		return nameEmbedding[0]
	}
	return hf
}

// absMax returns max |x|.
func absMax(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = max(m, math.Abs(float64(v)))
	}
	return m
}

// TestLossAndGradMatchesFixture compares the loss and all 22 gradients with
// mamba_ssm's fp32 autograd (grads.safetensors; the tied lm_head's gradient
// is inside the embedding's), for the model loaded from either layout.
// Tolerances from the fixtures README: loss 1e-5, gradients 1e-4 of each
// tensor's absmax.
func TestLossAndGradMatchesFixture(t *testing.T) {
	for _, layout := range []string{"mamba_ssm", "hf"} {
		t.Run("layout="+layout, func(t *testing.T) {
			dir := fixture.Path(t, "mamba1")
			if layout == "hf" {
				dir = filepath.Join(dir, "hf")
			}
			m := fixtureModel(t, dir, false)
			tokens, batch, seq := fixture.Tokens(t, "mamba1")
			ref := fixture.Open(t, "mamba1", "grads.safetensors")
			grads := m.NewGrads()
			if len(grads) != 22 {
				t.Fatalf("%d gradient tensors, want 22", len(grads))
			}
			loss, err := m.LossAndGrad(tokens, batch, seq, grads)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(fixture.F32(t, ref, "loss")[0]); math.Abs(loss-want) > 1e-5 {
				t.Errorf("loss %.7f, mamba_ssm %.7f", loss, want)
			}
			worst, worstName := 0.0, ""
			for _, g := range grads {
				want := fixture.F32(t, ref, mambaSSMName(g.Name))
				scale := absMax(want)
				fixture.RequireClose(t, g.Name, g.Data, want, 1e-4*scale, 0)
				if rel := fixture.Compare(g.Data, want, 0, 0).MaxAbs / scale; rel > worst {
					worst, worstName = rel, g.Name
				}
			}
			t.Logf("loss %.7f; worst gradient: %s, max abs diff %.3g of its absmax", loss, worstName, worst)
		})
	}
}

// TestLossAndGradForwardAgree checks that LossAndGrad's forward is Forward's:
// the loss equals the cross-entropy of Forward's logits bit for bit.
func TestLossAndGradForwardAgree(t *testing.T) {
	m := fixtureModel(t, fixture.Path(t, "mamba1"), false)
	tokens, batch, seq := fixture.Tokens(t, "mamba1")
	logits, err := m.Forward(tokens, batch, seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := nn.CrossEntropy(nil, logits, shiftedTargets(tokens, seq), m.VocabSize())
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.LossAndGrad(tokens, batch, seq, m.NewGrads())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("LossAndGrad's loss %.9g, Forward's %.9g", got, want)
	}
}

// TestLossAndGradRepeatable checks that the reused buffers leave no trace:
// a second call into fresh gradients repeats the first bit for bit (another
// shape in between), and a call into the same gradients adds to them.
func TestLossAndGradRepeatable(t *testing.T) {
	m := perturbedModel(t, tinyConfig(true, true), 7)
	tokens := randomTokens(2*9, m.cfg.VocabSize, 3)
	first, again := m.NewGrads(), m.NewGrads()
	l1, err := m.LossAndGrad(tokens, 2, 9, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.LossAndGrad(randomTokens(3*5, m.cfg.VocabSize, 4), 3, 5, again); err != nil {
		t.Fatal(err)
	}
	for _, g := range again {
		clear(g.Data)
	}
	for call := range 2 {
		l2, err := m.LossAndGrad(tokens, 2, 9, again)
		if err != nil {
			t.Fatal(err)
		}
		if l2 != l1 {
			t.Fatalf("call %d: loss %v, first %v", call, l2, l1)
		}
		for i, g := range again {
			want := make([]float32, len(g.Data))
			for j, v := range first[i].Data {
				want[j] = float32(call+1) * v
			}
			atol := 0.0
			if call == 1 { // (a+b)+(a+b) is not summed in the order of 2·(a+b)
				atol = 1e-6 * absMax(want)
			}
			fixture.RequireClose(t, fmt.Sprintf("call %d: %s", call, g.Name), g.Data, want, atol, 0)
		}
	}
}

// TestLossAndGradTargetsShiftedEqualsLossAndGrad checks that explicit
// shifted targets give LossAndGrad's loss and gradients bit for bit, and
// that the seed scales the gradients but not the loss.
func TestLossAndGradTargetsShiftedEqualsLossAndGrad(t *testing.T) {
	m := fixtureModel(t, fixture.Path(t, "mamba1"), false)
	tokens, batch, seq := fixture.Tokens(t, "mamba1")
	want := m.NewGrads()
	wantLoss, err := m.LossAndGrad(tokens, batch, seq, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []float32{1, 0.25} {
		got := m.NewGrads()
		loss, err := m.LossAndGradTargets(tokens, shiftedTargets(tokens, seq), batch, seq, seed, got)
		if err != nil {
			t.Fatal(err)
		}
		if loss != wantLoss {
			t.Errorf("seed %g: loss %.9g, LossAndGrad %.9g", seed, loss, wantLoss)
		}
		for i := range got {
			for j, g := range got[i].Data {
				if w := seed * want[i].Data[j]; g != w {
					t.Fatalf("seed %g: %s[%d] = %.9g, want seed·LossAndGrad's = %.9g", seed, got[i].Name, j, g, w)
				}
			}
		}
	}
}

// shiftedTargets returns tokens shifted left by one within each sequence,
// the last position ignored.
func shiftedTargets(tokens []int32, seq int) []int32 {
	out := make([]int32, len(tokens))
	for r := range out {
		out[r] = nn.IgnoreIndex
		if r%seq != seq-1 {
			out[r] = tokens[r+1]
		}
	}
	return out
}

// TestLossAndGradRejectsBadInput covers each error: grads are then untouched.
func TestLossAndGradRejectsBadInput(t *testing.T) {
	m := perturbedModel(t, tinyConfig(false, true), 2)
	ok := []int32{1, 2, 3, 4}
	ign := int32(nn.IgnoreIndex)
	for _, c := range []struct {
		name             string
		tokens, targets  []int32
		batch, seq       int
		dropGrad, rename bool
		want             string
	}{
		{"token_outside_vocab", []int32{1, 2, 50, 4}, ok, 1, 4, false, false, "token id 50"},
		{"target_outside_vocab", ok, []int32{1, 2, 50, ign}, 1, 4, false, false, "target 50"},
		{"negative_target", ok, []int32{1, -2, 3, ign}, 1, 4, false, false, "target -2"},
		{"all_ignored", ok, []int32{ign, ign, ign, ign}, 1, 4, false, false, "all 4 targets"},
		{"targets_length", ok, []int32{1, 2, 3}, 1, 4, false, false, "3 targets"},
		{"tokens_length", ok, ok, 2, 4, false, false, "4 tokens"},
		{"missing_grad", ok, ok, 1, 4, true, false, "gradient tensors"},
		{"renamed_grad", ok, ok, 1, 4, false, true, "gradient 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			grads := m.NewGrads()
			if c.dropGrad {
				grads = grads[1:]
			}
			if c.rename {
				grads[0].Name = "x"
			}
			_, err := m.LossAndGradTargets(c.tokens, c.targets, c.batch, c.seq, 1, grads)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			for _, g := range grads {
				if absMax(g.Data) != 0 {
					t.Fatalf("%s changed on error", g.Name)
				}
			}
		})
	}
	if _, err := m.LossAndGrad([]int32{1}, 1, 1, m.NewGrads()); err == nil {
		t.Error("LossAndGrad with seq 1: no error")
	}
}

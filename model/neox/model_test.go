package neox

import (
	"slices"
	"strings"
	"testing"
)

// TestForwardMatchesFixture checks every intermediate of forward.safetensors
// and the logits against HF transformers v4.40.2 in fp32.
func TestForwardMatchesFixture(t *testing.T) {
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	ref := openFixture(t, "forward.safetensors")
	seen := map[string]bool{}
	m.Trace = func(name string, data []float32, shape []int) {
		want, wantShape := fixtureF32(t, ref, name)
		if !slices.Equal(shape, wantShape) {
			t.Errorf("%s: shape %v, want %v", name, shape, wantShape)
			return
		}
		atol := 1e-5 // hidden states
		if name == "logits" {
			atol = 1e-4
		}
		requireClose(t, name, data, want, atol)
		seen[name] = true
	}
	if _, err := m.Forward(tokens, batch, seq, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range ref.Names() {
		if !seen[name] && !strings.HasPrefix(name, "hf_hidden_states.") {
			t.Errorf("fixture tensor %s was never traced", name)
		}
	}
}

// TestForwardBF16WeightsWithinDivergence runs the model with every weight
// rounded to bf16 (float32 arithmetic) against the reference's all-bf16
// forward; the README's divergence tolerances apply (logits max 0.1, mean 0.015).
func TestForwardBF16WeightsWithinDivergence(t *testing.T) {
	m := fixtureModel(t, bf16Round)
	tokens, batch, seq := fixtureInputs(t)
	got, err := m.Forward(tokens, batch, seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fixtureF32(t, openFixture(t, "forward_bf16.safetensors"), "logits")
	requireClose(t, "bf16 logits", got, want, 0.1)
	if mean := meanAbsDiff(got, want); mean > 0.015 {
		t.Errorf("bf16 logits: mean abs %.4g, want ≤ 0.015", mean)
	} else {
		t.Logf("bf16 logits: mean abs %.4g", mean)
	}
}

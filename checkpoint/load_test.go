package checkpoint

import (
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

// TestLoadMatchesReferenceLogits loads every fixture folder, in both name
// layouts, and compares the logits with the reference implementation's.
func TestLoadMatchesReferenceLogits(t *testing.T) {
	cases := []struct{ dir, ref string }{
		{"mamba1", "mamba1"},
		{"mamba1/hf", "mamba1"},
		{"mamba2", "mamba2"},
		{"mamba2/hf", "mamba2"},
		{"gpt_neox", "gpt_neox"},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			lm, err := Load(fixture.Path(t, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			tokens, batch, seq := fixture.Tokens(t, c.ref)
			got, err := lm.Forward(tokens, batch, seq, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := fixture.F32(t, fixture.Open(t, c.ref, "forward.safetensors"), "logits")
			// The fixtures README suggests atol 1e-4 for fp32 logits.
			fixture.RequireClose(t, "logits", got, want, 1e-4, 0)
		})
	}
}

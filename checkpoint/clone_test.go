package checkpoint

import (
	"slices"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/model"
)

// TestCloneState checks, for every architecture, that a cloned decode state
// continues exactly as the original and is independent of it.
func TestCloneState(t *testing.T) {
	for _, dir := range []string{"mamba1", "mamba2", "gpt_neox"} {
		t.Run(dir, func(t *testing.T) {
			lm, err := Load(fixture.Path(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			cloner, ok := lm.(interface{ CloneState(model.State) model.State })
			if !ok {
				t.Fatalf("%T has no CloneState", lm)
			}
			tokens, _, seq := fixture.Tokens(t, dir)
			first := tokens[:seq] // sequence 0
			state := lm.NewState(1)
			if _, err := lm.Forward(first[:20], 1, 20, state); err != nil {
				t.Fatal(err)
			}
			clone := cloner.CloneState(state)
			want, err := lm.Forward(first[20:], 1, seq-20, state)
			if err != nil {
				t.Fatal(err)
			}
			// Advancing the original must not have moved the clone.
			got, err := lm.Forward(first[20:], 1, seq-20, clone)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatal("the clone does not continue as the original did")
			}
		})
	}
}

package neox

import (
	"bytes"
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// TestModulesMatchParams checks that every module path plus ".weight" is a
// parameter of Params with the module's shape and the live slice, and that
// Untie gives a tied embed_out its own copy and an HF config that says so.
func TestModulesMatchParams(t *testing.T) {
	for _, c := range []struct {
		name string
		tied bool
	}{{"untied", false}, {"tied", true}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			cfg.TieWordEmbeddings = c.tied
			m, err := Init(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			params := map[string]model.Param{}
			for _, p := range m.Params() {
				params[p.Name] = p
			}
			mods := m.Modules()
			for name, mod := range mods {
				p, ok := params[name+".weight"]
				if !ok {
					if name != "embed_out" || !c.tied {
						t.Errorf("module %s has no parameter %s.weight", name, name)
					}
					continue
				}
				want := []int{mod.Out, mod.In}
				if mod.Kind == nn.KindEmbedding {
					want = []int{mod.In, mod.Out}
				}
				if mod.Kind == nn.KindNorm {
					want = []int{mod.In}
				}
				if !slices.Equal(p.Shape, want) {
					t.Errorf("%s: %s %d→%d, parameter shape %v", name, mod.Kind, mod.In, mod.Out, p.Shape)
				}
				if mod.Linear != nil && &mod.Linear.Weight[0] != &p.Data[0] {
					t.Errorf("%s: the handle's Linear is not the parameter's", name)
				}
			}
			if len(mods) != 3+6*len(m.layers) {
				t.Errorf("%d modules, want %d", len(mods), 3+6*len(m.layers))
			}
			if !c.tied {
				return
			}
			mods["embed_out"].Untie()
			var head []float32
			for _, p := range m.Params() {
				if p.Name == "embed_out.weight" {
					head = p.Data
				}
			}
			if head == nil || &head[0] == &m.embedIn.Weight[0] || !slices.Equal(head, m.embedIn.Weight) {
				t.Fatal("after Untie embed_out.weight is not a separate copy of embed_in")
			}
			hf, err := m.HFConfig()
			if err != nil || !bytes.Contains(hf, []byte(`"tie_word_embeddings": false`)) {
				t.Errorf("HFConfig after Untie: %s, %v", hf, err)
			}
		})
	}
}

package mamba

import (
	"bytes"
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// TestModulesMatchParams checks that every module path plus ".weight" is a
// parameter of Params with the module's shape and the live slice, and that
// Untie gives a tied LM head its own copy and an HF config that says so.
func TestModulesMatchParams(t *testing.T) {
	for _, c := range []struct {
		name string
		tied bool
	}{{"untied", false}, {"tied", true}} {
		t.Run(c.name, func(t *testing.T) {
			m, err := Init(tinyConfig(true, c.tied), 1)
			if err != nil {
				t.Fatal(err)
			}
			params := paramsByName(m.Params())
			mods := m.Modules()
			for name, mod := range mods {
				p, ok := params[name+".weight"]
				if !ok {
					if name != "lm_head" || !c.tied {
						t.Errorf("module %s has no parameter %s.weight", name, name)
					}
					continue
				}
				checkModuleParam(t, name, mod, p)
			}
			if len(mods) != 3+6*len(m.layers) {
				t.Errorf("%d modules, want %d", len(mods), 3+6*len(m.layers))
			}
			if !c.tied {
				return
			}
			mods["backbone.embeddings"].Untie()
			head, ok := paramsByName(m.Params())["lm_head.weight"]
			if !ok || &head.Data[0] == &m.embed.Weight[0] || !slices.Equal(head.Data, m.embed.Weight) {
				t.Fatal("after Untie lm_head.weight is not a separate copy of the embedding")
			}
			cfg, err := m.HFConfig()
			if err != nil || !bytes.Contains(cfg, []byte(`"tie_word_embeddings": false`)) {
				t.Errorf("HFConfig after Untie: %s, %v", cfg, err)
			}
		})
	}
}

func paramsByName(ps []model.Param) map[string]model.Param {
	byName := map[string]model.Param{}
	for _, p := range ps {
		byName[p.Name] = p
	}
	return byName
}

// checkModuleParam checks a module handle against its weight parameter.
func checkModuleParam(t *testing.T, name string, mod nn.Module, p model.Param) {
	t.Helper()
	switch mod.Kind {
	case nn.KindLinear:
		if !slices.Equal(p.Shape, []int{mod.Out, mod.In}) || (mod.Linear != nil && &mod.Linear.Weight[0] != &p.Data[0]) {
			t.Errorf("%s: Linear %d→%d, parameter %v not its weight", name, mod.In, mod.Out, p.Shape)
		}
	case nn.KindEmbedding:
		if !slices.Equal(p.Shape, []int{mod.In, mod.Out}) || &mod.Embedding.Weight[0] != &p.Data[0] {
			t.Errorf("%s: Embedding %d×%d, parameter %v not its table", name, mod.In, mod.Out, p.Shape)
		}
	case nn.KindConv1d, nn.KindNorm:
		if p.Shape[0] != mod.Out {
			t.Errorf("%s: %s of %d channels, parameter %v", name, mod.Kind, mod.Out, p.Shape)
		}
	}
}

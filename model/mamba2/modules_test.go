package mamba2

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
			cfg := smallConfig()
			cfg.TieEmbeddings, cfg.DHasHdim = c.tied, false // HF Mamba2Config cannot express D_has_hdim
			m, err := Init(cfg, 1)
			if err != nil {
				t.Fatal(err)
			}
			params := paramsByName(m.Params())
			mods := m.Modules()
			for name, mod := range mods {
				p, ok := params[name+".weight"]
				if !ok {
					t.Errorf("module %s has no parameter %s.weight", name, name)
					continue
				}
				checkModuleParam(t, name, mod, p)
				if mod.Kind == nn.KindLinear && (mod.Linear == nil || mod.Unsupported != "") {
					t.Errorf("Linear module %s takes no LoRA: %q", name, mod.Unsupported)
				}
				if c.tied && (name == "lm_head" || name == "backbone.embeddings") && mod.Untie == nil {
					t.Errorf("tied module %s has no Untie", name)
				}
			}
			if len(mods) != 3+5*len(m.Blocks) {
				t.Errorf("%d modules, want %d", len(mods), 3+5*len(m.Blocks))
			}
			if !c.tied {
				return
			}
			mods["backbone.embeddings"].Untie()
			head, ok := paramsByName(m.Params())["lm_head.weight"]
			if n := len(m.Params()); n != len(params) {
				t.Errorf("Params has %d tensors after Untie, %d before", n, len(params))
			}
			if !ok || &head.Data[0] == &m.Embedding.Weight[0] || !slices.Equal(head.Data, m.Embedding.Weight) {
				t.Fatal("after Untie lm_head.weight is not a separate copy of the embedding")
			}
			hf, err := m.HFConfig()
			if err != nil || !bytes.Contains(hf, []byte(`"tie_word_embeddings": false`)) {
				t.Errorf("HFConfig after Untie: %s, %v", hf, err)
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

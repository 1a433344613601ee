package mamba2

import (
	"encoding/json"
	"testing"

	"github.com/steady-ml/steady/model"
)

func exportTestConfig() Config {
	c, err := ParseConfig([]byte(`{"d_model": 32, "n_layer": 2, "vocab_size": 100,
		"ssm_cfg": {"layer": "Mamba2", "d_state": 8, "headdim": 8, "chunk_size": 4}}`))
	if err != nil {
		panic(err)
	}
	return c
}

// TestInitExportReload initialises a model, exports its parameters and HF
// config, rebuilds it from them and checks both give the same logits.
func TestInitExportReload(t *testing.T) {
	cfg := exportTestConfig()
	m, err := Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	w := model.MapWeights{}
	for i, p := range m.Params() {
		w.Put(p.Name, p.Data, p.Shape...)
		if q := again.Params()[i]; q.Name != p.Name || !equal(q.Data, p.Data) {
			t.Fatalf("Init is not deterministic for %s", p.Name)
		}
	}
	if !w.Has(nameEmbeddingHF) || !w.Has(nameLMHead) {
		t.Fatalf("Params lacks the HF embedding or lm_head names")
	}
	raw, err := m.HFConfig()
	if err != nil {
		t.Fatal(err)
	}
	var probe map[string]any
	if err := json.Unmarshal([]byte(string(raw)), &probe); err == nil {
		t.Fatalf("HFConfig should carry Python's bare Infinity for time_step_limit, got valid JSON")
	}
	hfCfg, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if hfCfg.NHeads() != cfg.NHeads() || hfCfg.PaddedVocab() != cfg.PaddedVocab() || hfCfg.NGroups != cfg.NGroups {
		t.Fatalf("HF config round trip changed the shape: %+v vs %+v", hfCfg, cfg)
	}
	back, err := New(hfCfg, w)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{1, 5, 9, 99, 3, 0, 42, 7}
	a, err := m.Forward(tokens, 2, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := back.Forward(tokens, 2, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(a, b) {
		t.Fatalf("reloaded model gives different logits")
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

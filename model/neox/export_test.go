package neox

import (
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
)

// TestInitExportReload initialises a model twice (bit-identical), rebuilds it
// from its exported parameters and HF config, and checks the logits agree.
func TestInitExportReload(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"model_type": "gpt_neox", "vocab_size": 64, "hidden_size": 32,
		"num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Init(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Init(cfg, 3)
	w := model.MapWeights{}
	for i, p := range m.Params() {
		q := again.Params()[i]
		if q.Name != p.Name || !slices.Equal(q.Data, p.Data) {
			t.Fatalf("Init is not deterministic for %s", p.Name)
		}
		w.Put(p.Name, p.Data, p.Shape...)
	}
	if ln := w["gpt_neox.final_layer_norm.weight"].Data; ln[0] != 1 {
		t.Fatalf("final LayerNorm weight initialised to %g, want 1", ln[0])
	}
	raw, err := m.HFConfig()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if back != cfg {
		t.Fatalf("HF config round trip: %+v, want %+v", back, cfg)
	}
	reloaded, err := New(back, w)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{1, 2, 3, 60, 5, 6}
	a, _ := m.Forward(tokens, 1, 6, nil)
	b, _ := reloaded.Forward(tokens, 1, 6, nil)
	if !slices.Equal(a, b) {
		t.Fatal("reloaded model gives different logits")
	}
}

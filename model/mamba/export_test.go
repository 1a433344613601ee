package mamba

import (
	"slices"
	"testing"

	"github.com/steady-ml/steady/model"
)

// TestInitExportReload initialises a model twice (bit-identical), rebuilds it
// from its exported HF parameters and config, and checks the logits agree;
// then changes A_log in place and checks Refresh makes the forward see it.
func TestInitExportReload(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"d_model": 32, "n_layer": 2, "vocab_size": 100, "ssm_cfg": {"d_state": 8}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Init(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Init(cfg, 5)
	w := model.MapWeights{}
	for i, p := range m.Params() {
		q := again.Params()[i]
		if q.Name != p.Name || !slices.Equal(q.Data, p.Data) {
			t.Fatalf("Init is not deterministic for %s", p.Name)
		}
		w.Put(p.Name, p.Data, p.Shape...)
	}
	if !w.Has("backbone.embeddings.weight") || w.Has("lm_head.weight") {
		t.Fatal("Params should use the HF embedding name and leave out the tied head")
	}
	raw, err := m.HFConfig()
	if err != nil {
		t.Fatal(err)
	}
	hfCfg, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	back, err := New(hfCfg, w)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{1, 2, 3, 99, 5, 6}
	a, _ := m.Forward(tokens, 2, 3, nil)
	b, _ := back.Forward(tokens, 2, 3, nil)
	if !slices.Equal(a, b) {
		t.Fatal("reloaded model gives different logits")
	}
	for _, p := range m.Params() {
		if p.Name == "backbone.layers.0.mixer.A_log" {
			p.Data[0] += 1
		}
	}
	m.Refresh()
	c, _ := m.Forward(tokens, 2, 3, nil)
	if slices.Equal(a, c) {
		t.Fatal("changing A_log and calling Refresh did not change the logits")
	}
}

// TestForwardAfterTrainingSeesUpdatedALog checks that a Forward after a
// LossAndGrad call and an in-place update of A_log (what an optimiser does)
// uses the updated A without an explicit Refresh.
func TestForwardAfterTrainingSeesUpdatedALog(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"d_model": 16, "n_layer": 1, "vocab_size": 32, "ssm_cfg": {"d_state": 4}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := Init(cfg, 1)
	tokens := []int32{1, 2, 3, 4}
	if _, err := m.LossAndGrad(tokens, 1, 4, m.NewGrads()); err != nil {
		t.Fatal(err)
	}
	before, _ := m.Forward(tokens, 1, 4, nil)
	if _, err := m.LossAndGrad(tokens, 1, 4, m.NewGrads()); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params() {
		if p.Name == "backbone.layers.0.mixer.A_log" {
			for i := range p.Data {
				p.Data[i] += 0.5
			}
		}
	}
	after, _ := m.Forward(tokens, 1, 4, nil)
	fresh, _ := Init(cfg, 1)
	for _, p := range fresh.Params() {
		if p.Name == "backbone.layers.0.mixer.A_log" {
			for i := range p.Data {
				p.Data[i] += 0.5
			}
		}
	}
	fresh.Refresh()
	want, _ := fresh.Forward(tokens, 1, 4, nil)
	if slices.Equal(before, after) || !slices.Equal(after, want) {
		t.Fatal("Forward after training did not use the updated A_log")
	}
}

package peft

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/model/neox"
)

// TestTrainGradsMatchPEFT puts each PEFT fixture adapter in training mode
// (lora_dropout 0 in all three), runs the model's backward and checks that
// Grads pairs Params one to one and holds PEFT's LoRA gradients
// (grads.safetensors) within the fixture README's tolerance, rtol 1e-4 of
// each tensor's absmax.
func TestTrainGradsMatchPEFT(t *testing.T) {
	for _, c := range loraFixtures {
		t.Run(c.dir, func(t *testing.T) {
			tokens, batch, seq := fixture.Tokens(t, c.inputs)
			ref := fixture.Open(t, "lora", c.dir, "grads.safetensors")
			m := loadBase(t, strings.Split(c.base, "/")...)
			a, err := Load(fixture.Path(t, "lora", c.dir), m)
			if err != nil {
				t.Fatal(err)
			}
			if a.Grads() != nil {
				t.Fatal("Grads is not nil before Train")
			}
			a.Train(5)
			requirePaired(t, a.Params(), a.Grads())
			tr := m.(trainer)
			if _, err := tr.LossAndGrad(tokens, batch, seq, tr.NewGrads()); err != nil {
				t.Fatal(err)
			}
			for _, g := range a.Grads() {
				want := fixture.F32(t, ref, g.Name)
				scale := 0.0
				for _, v := range want {
					scale = max(scale, math.Abs(float64(v)))
				}
				t.Logf("%s: %v", g.Name, fixture.Compare(g.Data, want, 1e-4*scale, 0))
				fixture.RequireClose(t, g.Name, g.Data, want, 1e-4*scale, 0)
			}
			a.Eval()
			if a.Grads() != nil {
				t.Error("Grads is not nil after Eval")
			}
		})
	}
}

// requirePaired fails unless grads has the names and shapes of params, in
// order, each with as many elements, all zero.
func requirePaired(t *testing.T, params, grads []model.Param) {
	t.Helper()
	if len(grads) != len(params) {
		t.Fatalf("%d gradients for %d parameters", len(grads), len(params))
	}
	for i, p := range params {
		g := grads[i]
		if g.Name != p.Name || !slices.Equal(g.Shape, p.Shape) || len(g.Data) != len(p.Data) {
			t.Fatalf("gradient %d is %s %v (%d), parameter %s %v (%d)", i, g.Name, g.Shape, len(g.Data), p.Name, p.Shape, len(p.Data))
		}
		if slices.ContainsFunc(g.Data, nonzero) {
			t.Fatalf("gradient %s is not zeroed", g.Name)
		}
	}
}

// TestTrainDropout checks lora_dropout in training mode on the GPT-NeoX
// fixture with a non-zero adapter: each training forward draws a new mask
// (the logits move and differ between two forwards), the per-layer seeds
// are distinct and follow the seed, and Eval restores the dropout-free
// logits bit for bit.
func TestTrainDropout(t *testing.T) {
	m := loadBase(t, "gpt_neox")
	cfg, err := NewConfig(Settings{Targets: []string{"lora-all"}, R: 4, Alpha: 8, Dropout: 0.5}, "gpt_neox", "gpt_neox")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, m, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := randinit.New(4, 0)
	for _, p := range a.Params() {
		copy(p.Data, randinit.Normal(rng, len(p.Data), 0.2))
	}
	clean := forward(t, m, "gpt_neox")
	seeds := func(seed uint64) []uint64 {
		a.Train(seed)
		var s []uint64
		for _, l := range a.Layers {
			if l.Linear.Dropout != 0.5 || !l.Linear.Train {
				t.Fatalf("%s: dropout %g, train %v after Train", l.Module, l.Linear.Dropout, l.Linear.Train)
			}
			s = append(s, l.Linear.Seed)
		}
		return s
	}
	first := seeds(9)
	if !slices.Equal(first, seeds(9)) || slices.Equal(first, seeds(10)) {
		t.Errorf("seeds do not follow the Train seed: %v", first)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(first)))) != len(first) {
		t.Errorf("two layers share a dropout seed: %v", first)
	}
	d1, d2 := forward(t, m, "gpt_neox"), forward(t, m, "gpt_neox")
	for _, d := range []struct {
		name string
		a, b []float32
	}{{"train vs eval", d1, clean}, {"two training forwards", d1, d2}} {
		if c := fixture.Compare(d.a, d.b, 1e-3, 0); c.FirstBad < 0 {
			t.Errorf("%s: logits equal (%v), want dropout to change them", d.name, c)
		}
	}
	a.Eval()
	fixture.RequireClose(t, "logits after Eval", forward(t, m, "gpt_neox"), clean, 0, 0)
}

// TestNewConfig checks the CLI settings' validation and preset resolution.
func TestNewConfig(t *testing.T) {
	ok := Settings{R: 8, Alpha: 16, Dropout: 0.05}
	with := func(edit func(*Settings)) Settings {
		s := ok
		edit(&s)
		return s
	}
	cases := []struct {
		name, arch string
		s          Settings
		want       []string
		err        string
	}{
		{"preset_mamba_subset", "mamba", with(func(s *Settings) { s.Targets = []string{"lora-subset"} }), []string{"x_proj"}, ""},
		{"preset_neox_all", "gpt_neox", with(func(s *Settings) { s.Targets = []string{"lora-all"} }), []string{"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"}, ""},
		{"list", "mamba2", with(func(s *Settings) { s.Targets = []string{"in_proj", "out_proj"} }), []string{"in_proj", "out_proj"}, ""},
		{"no_targets", "mamba", ok, nil, "no LoRA target modules"},
		{"empty_target", "mamba", with(func(s *Settings) { s.Targets = []string{"x_proj", " "} }), nil, "empty module name"},
		{"preset_and_list", "mamba", with(func(s *Settings) { s.Targets = []string{"lora-all", "x_proj"} }), nil, "cannot be combined"},
		{"preset_unknown_arch", "llama", with(func(s *Settings) { s.Targets = []string{"lora-all"} }), nil, "no LoRA presets"},
		{"rank_zero", "mamba", with(func(s *Settings) { s.Targets, s.R = []string{"x_proj"}, 0 }), nil, "r = 0"},
		{"alpha_zero", "mamba", with(func(s *Settings) { s.Targets, s.Alpha = []string{"x_proj"}, 0 }), nil, "lora_alpha = 0"},
		{"dropout_one", "mamba", with(func(s *Settings) { s.Targets, s.Dropout = []string{"x_proj"}, 1 }), nil, "lora_dropout = 1"},
		{"dropout_nan", "mamba", with(func(s *Settings) { s.Targets, s.Dropout = []string{"x_proj"}, math.NaN() }), nil, "lora_dropout = NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := NewConfig(c.s, c.arch, "org/base")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.TargetModules, c.want) || cfg.R != c.s.R || cfg.Alpha != c.s.Alpha ||
				cfg.Dropout != c.s.Dropout || cfg.BaseModel != "org/base" || cfg.PeftType != "LORA" {
				t.Errorf("config %+v for settings %+v", cfg, c.s)
			}
		})
	}
}

// TestLoadWeightsRestores saves a trained-looking adapter with SaveWeights
// and restores it into a freshly initialised one with LoadWeights, bit for
// bit; a checkpoint of another rank is refused naming the tensor.
func TestLoadWeightsRestores(t *testing.T) {
	cfg := Config{PeftType: "LORA", R: 2, Alpha: 4, TargetModules: []string{"query_key_value", "embed_in"}}
	a, err := New(cfg, loadBase(t, "gpt_neox"), 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := randinit.New(2, 0)
	for _, p := range a.Params() {
		copy(p.Data, randinit.Normal(rng, len(p.Data), 0.1))
	}
	dir := t.TempDir()
	if err := a.SaveWeights(dir); err != nil {
		t.Fatal(err)
	}
	b, err := New(cfg, loadBase(t, "gpt_neox"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.LoadWeights(dir); err != nil {
		t.Fatal(err)
	}
	for i, p := range a.Params() {
		fixture.RequireClose(t, p.Name, b.Params()[i].Data, p.Data, 0, 0)
	}
	cfg.R = 3
	c, err := New(cfg, loadBase(t, "gpt_neox"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoadWeights(dir); err == nil || !strings.Contains(err.Error(), "has shape [2 512], want [3 512]") {
		t.Errorf("err = %v, want a shape error", err)
	}
}

// TestLoadRefusesOtherBaseModel saves adapters made on GPT-NeoX models of
// another width and another depth than the fixture's and checks that Load
// refuses them onto the fixture, naming the tensor and the base model the
// adapter was made for.
func TestLoadRefusesOtherBaseModel(t *testing.T) {
	cases := []struct {
		name, config, want string
	}{
		{"wider", `{"model_type": "gpt_neox", "vocab_size": 512, "hidden_size": 96, "num_hidden_layers": 2,
			"num_attention_heads": 4, "intermediate_size": 256, "max_position_embeddings": 128}`, "has shape [4 96], want [4 64]"},
		{"deeper", `{"model_type": "gpt_neox", "vocab_size": 512, "hidden_size": 64, "num_hidden_layers": 3,
			"num_attention_heads": 4, "intermediate_size": 256, "max_position_embeddings": 128}`, "layers.2.attention.dense.lora_A.weight belongs to no module"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nc, err := neox.ParseConfig([]byte(c.config))
			if err != nil {
				t.Fatal(err)
			}
			other, err := neox.Init(nc, 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := NewConfig(Settings{Targets: []string{"lora-all"}, R: 4, Alpha: 8}, "gpt_neox", "org/other-model")
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(cfg, other, 1)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "adapter")
			if err := Save(dir, a); err != nil {
				t.Fatal(err)
			}
			_, err = Load(dir, loadBase(t, "gpt_neox"))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "made for base model org/other-model") {
				t.Fatalf("err = %v, want %q and the base model", err, c.want)
			}
		})
	}
}

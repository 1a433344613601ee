package neox

import (
	"strings"
	"testing"
)

func TestParseConfigFixture(t *testing.T) {
	got, err := ParseConfig(fixtureConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		VocabSize: 512, HiddenSize: 64, NumHiddenLayers: 2, NumAttentionHeads: 4, IntermediateSize: 256,
		HiddenAct: "gelu", RotaryPct: 0.25, RotaryEmbBase: 10000, MaxPositionEmbeddings: 128, LayerNormEps: 1e-5,
		UseParallelResidual: true, AttentionBias: true, TieWordEmbeddings: false,
	}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got.HeadSize() != 16 || got.RotaryDims() != 4 {
		t.Errorf("head size %d, rotary dims %d; want 16, 4", got.HeadSize(), got.RotaryDims())
	}
}

const minimalConfig = `"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 768, "num_hidden_layers": 12,
	"num_attention_heads": 12, "intermediate_size": 3072`

func TestParseConfigDefaultsAsHF(t *testing.T) {
	got, err := ParseConfig([]byte("{" + minimalConfig + "}"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		VocabSize: 50304, HiddenSize: 768, NumHiddenLayers: 12, NumAttentionHeads: 12, IntermediateSize: 3072,
		HiddenAct: "gelu", RotaryPct: 0.25, RotaryEmbBase: 10000, MaxPositionEmbeddings: 2048, LayerNormEps: 1e-5,
		UseParallelResidual: true, AttentionBias: true, TieWordEmbeddings: false,
	}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseConfigOverrides(t *testing.T) {
	cases := []struct {
		name  string
		extra string
		check func(Config) bool
	}{
		{"rope_theta_alias", `"rope_theta": 500000`, func(c Config) bool { return c.RotaryEmbBase == 500000 }},
		{"rope_theta_equals_base", `"rope_theta": 20000, "rotary_emb_base": 20000`, func(c Config) bool { return c.RotaryEmbBase == 20000 }},
		{"partial_rotary_factor_alias", `"partial_rotary_factor": 0.5`, func(c Config) bool { return c.RotaryPct == 0.5 }},
		{"sequential_residual", `"use_parallel_residual": false`, func(c Config) bool { return !c.UseParallelResidual }},
		{"no_attention_bias", `"attention_bias": false`, func(c Config) bool { return !c.AttentionBias }},
		{"gelu_new", `"hidden_act": "gelu_new"`, func(c Config) bool { return c.HiddenAct == "gelu_new" }},
		{"rope_scaling_null", `"rope_scaling": null`, func(c Config) bool { return true }},
		{"rotary_pct_full", `"rotary_pct": 1.0`, func(c Config) bool { return c.RotaryDims() == 64 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig([]byte("{" + minimalConfig + ", " + c.extra + "}"))
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Errorf("unexpected config %+v", got)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name    string
		json    string
		wantErr string
	}{
		{"not_json", `{`, "gpt_neox config"},
		{"no_model_type", `{"vocab_size": 8}`, "model_type missing"},
		{"wrong_model_type", `{"model_type": "mamba"}`, `model_type "mamba"`},
		{"missing_hidden_size", `{"model_type": "gpt_neox", "vocab_size": 8}`, "hidden_size missing"},
		{"heads_do_not_divide", `{` + minimalConfig + `, "num_attention_heads": 7}`, "not divisible"},
		{"rotary_dims_odd", `{` + minimalConfig + `, "rotary_pct": 0.05}`, "rotary dims"},
		{"rotary_pct_zero", `{` + minimalConfig + `, "rotary_pct": 0}`, "rotary_pct"},
		{"rope_scaling_set", `{` + minimalConfig + `, "rope_scaling": {"type": "linear", "factor": 2}}`, "rope_scaling"},
		{"rope_theta_contradicts", `{` + minimalConfig + `, "rope_theta": 1, "rotary_emb_base": 2}`, "contradict"},
		{"partial_rotary_factor_contradicts", `{` + minimalConfig + `, "rotary_pct": 0.25, "partial_rotary_factor": 0.5}`, "contradict"},
		{"unsupported_act", `{` + minimalConfig + `, "hidden_act": "relu"}`, "hidden_act"},
		{"negative_eps", `{` + minimalConfig + `, "layer_norm_eps": -1}`, "layer_norm_eps"},
		{"zero_layers", `{` + minimalConfig + `, "num_hidden_layers": 0}`, "num_hidden_layers"},
		{"zero_max_positions", `{` + minimalConfig + `, "max_position_embeddings": 0}`, "max_position_embeddings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("{" + minimalConfig + "}"))
	f.Add([]byte(`{"model_type": "gpt_neox", "rope_scaling": {}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("ParseConfig accepted a config that Validate rejects: %v", err)
			}
		}
	})
}

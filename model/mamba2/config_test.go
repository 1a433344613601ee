package mamba2

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func TestParseConfigFixtures(t *testing.T) {
	// Both files describe the same model (fixtures README, mamba2 section).
	want := Config{
		DModel: 64, NLayer: 2, VocabSize: 512, DState: 16, DConv: 4, Expand: 2, HeadDim: 16, NGroups: 1, ChunkSize: 16,
		GatedNorm: true, ConvBias: true, DtLimit: [2]float64{0, math.Inf(1)}, NormEps: 1e-5, GatedNormEps: 1e-5,
		ResidualInFP32: true, TieEmbeddings: true,
	}
	for _, tc := range []struct {
		name, file string
		padMult    int
	}{
		{"mamba_ssm_native", "config.json", 8},
		{"hf_mamba2config_v4.44", "hf/config.json", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(fixtureDir + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			c, err := ParseConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			w := want
			w.PadVocabSizeMultiple = tc.padMult
			if c != w {
				t.Errorf("got  %+v\nwant %+v", c, w)
			}
			if c.DInner() != 128 || c.NHeads() != 8 || c.ConvDim() != 160 || c.DInProj() != 296 || c.PaddedVocab() != 512 {
				t.Errorf("derived sizes d_inner %d nheads %d conv_dim %d d_in_proj %d vocab %d, want 128 8 160 296 512",
					c.DInner(), c.NHeads(), c.ConvDim(), c.DInProj(), c.PaddedVocab())
			}
		})
	}
}

func TestParseConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		json  string
		check func(c Config) error
	}{
		{"native_mamba2_defaults_130m", `{"d_model": 768, "n_layer": 24, "vocab_size": 50277, "ssm_cfg": {"layer": "Mamba2"}}`,
			func(c Config) error {
				if c.DState != 128 || c.HeadDim != 64 || c.NGroups != 1 || c.ChunkSize != 256 || c.DConv != 4 || c.Expand != 2 ||
					!c.GatedNorm || c.NormBeforeGate || !c.ConvBias || c.Bias || !c.TieEmbeddings || c.PaddedVocab() != 50280 || c.NHeads() != 24 {
					return fmt.Errorf("defaults %+v", c)
				}
				return nil
			}},
		{"native_dt_limit_and_D_has_hdim", `{"d_model": 64, "n_layer": 1, "vocab_size": 10, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "dt_limit": [0.001, 0.1], "D_has_hdim": true, "norm_before_gate": true}}`,
			func(c Config) error {
				if c.DtLimit != [2]float64{0.001, 0.1} || !c.DHasHdim || !c.NormBeforeGate || c.PaddedVocab() != 16 {
					return fmt.Errorf("got %+v", c)
				}
				return nil
			}},
		{"hf_defaults_infinity_limit_norm_before_gate_ignored", `{"model_type": "mamba2", "hidden_size": 1024, "num_hidden_layers": 2, "vocab_size": 100, "time_step_limit": [0.0, Infinity], "norm_before_gate": true, "layer_norm_epsilon": 1e-6}`,
			func(c Config) error {
				if c.NGroups != 8 || c.HeadDim != 64 || c.DState != 128 || c.TieEmbeddings || c.NormBeforeGate ||
					!math.IsInf(c.DtLimit[1], 1) || c.NormEps != 1e-6 || c.GatedNormEps != 1e-6 || c.PaddedVocab() != 100 {
					return fmt.Errorf("got %+v", c)
				}
				return nil
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.check(c); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json, wantErr string
	}{
		{"not_json", `{`, "mamba2 config"},
		{"no_known_keys", `{"foo": 1}`, "neither"},
		{"other_model_type", `{"model_type": "mamba", "hidden_size": 4}`, `model_type "mamba"`},
		{"native_missing_n_layer", `{"d_model": 64, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2"}}`, "missing field n_layer"},
		{"native_mamba1_layer", `{"d_model": 64, "n_layer": 1, "vocab_size": 5}`, `ssm_cfg.layer = "Mamba1"`},
		{"native_headdim_not_dividing", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2", "headdim": 48}}`, "not divisible by headdim 48"},
		{"native_ngroups_not_dividing", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "ngroups": 3}}`, "not divisible by ngroups 3"},
		{"native_d_ssm_partial", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "d_ssm": 64}}`, "d_ssm = 64"},
		{"native_mlp", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "d_intermediate": 128, "ssm_cfg": {"layer": "Mamba2"}}`, "d_intermediate = 128"},
		{"native_attention", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "attn_layer_idx": [0], "ssm_cfg": {"layer": "Mamba2"}}`, "attn_layer_idx"},
		{"native_layernorm", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "rms_norm": false, "ssm_cfg": {"layer": "Mamba2"}}`, "rms_norm = false"},
		{"native_bad_type", `{"d_model": "big", "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2"}}`, "d_model"},
		{"native_fractional", `{"d_model": 64.5, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2"}}`, "want an integer"},
		{"native_bad_dt_limit", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "dt_limit": [0.1, 0.01]}}`, "dt limit"},
		{"native_zero_chunk", `{"d_model": 64, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2", "headdim": 16, "chunk_size": 0}}`, "chunk_size = 0"},
		{"native_implausibly_large", `{"d_model": 1e12, "n_layer": 1, "vocab_size": 5, "ssm_cfg": {"layer": "Mamba2"}}`, "implausibly large"},
		{"hf_missing_hidden_size", `{"model_type": "mamba2", "num_hidden_layers": 2, "vocab_size": 5}`, "missing field hidden_size"},
		{"hf_num_heads_contradicts", `{"model_type": "mamba2", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 5, "head_dim": 16, "n_groups": 1, "num_heads": 4}`, "num_heads 4 × head_dim 16"},
		{"hf_other_activation", `{"model_type": "mamba2", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 5, "head_dim": 16, "n_groups": 1, "hidden_act": "gelu"}`, "hidden_act"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, file := range []string{"config.json", "hf/config.json"} {
		if data, err := os.ReadFile(fixtureDir + file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"d_model": 8, "n_layer": 1, "vocab_size": 3, "ssm_cfg": {"layer": "Mamba2", "headdim": 4, "d_state": 2}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig accepted a config Validate rejects: %v", err)
		}
		if c.NHeads()*c.HeadDim != c.DInner() || c.NHeads()%c.NGroups != 0 {
			t.Fatalf("inconsistent sizes %+v", c)
		}
	})
}

func ExampleParseConfig() {
	c, err := ParseConfig([]byte(`{"d_model": 768, "n_layer": 24, "vocab_size": 50277,
		"ssm_cfg": {"layer": "Mamba2"}, "pad_vocab_size_multiple": 16}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.NHeads(), c.DInProj(), c.PaddedVocab())
	// Output: 24 3352 50288
}

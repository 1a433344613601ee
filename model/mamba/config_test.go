package mamba

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfigFixtures(t *testing.T) {
	want := Config{DModel: 64, NLayer: 2, VocabSize: 512, DState: 16, DConv: 4, Expand: 2, DInner: 128, DtRank: 4,
		Bias: false, ConvBias: true, NormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: true}
	for _, tc := range []struct {
		name, path  string
		padMultiple int
	}{
		{"mamba_ssm_MambaConfig", filepath.Join(fixtures, "config.json"), 8},
		{"hf_MambaConfig", filepath.Join(fixtures, "hf", "config.json"), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(data)
			if err != nil {
				t.Fatal(err)
			}
			w := want
			w.PadVocabSizeMultiple = tc.padMultiple
			if got != w {
				t.Errorf("got %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestParseConfigDefaultsAndDerivedFields(t *testing.T) {
	for _, tc := range []struct {
		name  string
		json  string
		check func(c Config) bool
	}{
		{"native_defaults_pad_8_vocab_50277_to_50280", `{"d_model": 768, "n_layer": 24, "vocab_size": 50277}`,
			func(c Config) bool {
				return c.PaddedVocab() == 50280 && c.DInner == 1536 && c.DtRank == 48 && c.DState == 16 && c.DConv == 4 && c.ConvBias && !c.Bias && c.TieEmbeddings
			}},
		{"native_explicit_dt_rank_and_bias", `{"d_model": 64, "n_layer": 1, "vocab_size": 10, "ssm_cfg": {"dt_rank": 8, "bias": true, "conv_bias": false}}`,
			func(c Config) bool { return c.DtRank == 8 && c.Bias && !c.ConvBias && c.PaddedVocab() == 16 }},
		{"hf_defaults_time_step_rank_auto", `{"model_type": "mamba", "hidden_size": 768, "num_hidden_layers": 24, "vocab_size": 50280}`,
			func(c Config) bool {
				return c.DtRank == 48 && c.DInner == 1536 && c.PaddedVocab() == 50280 && c.NormEps == 1e-5
			}},
		{"hf_mamba_130m_hf_style_with_native_leftovers", `{"architectures": ["MambaForCausalLM"], "conv_kernel": 4, "expand": 2,
			"fused_add_norm": true, "hidden_act": "silu", "hidden_size": 768, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05,
			"model_type": "mamba", "n_layer": 24, "num_hidden_layers": 24, "pad_vocab_size_multiple": 8, "residual_in_fp32": true,
			"rms_norm": true, "state_size": 16, "time_step_rank": 48, "use_bias": false, "use_conv_bias": true, "vocab_size": 50280}`,
			func(c Config) bool {
				return c.NLayer == 24 && c.DtRank == 48 && c.DInner == 1536 && c.PaddedVocab() == 50280
			}},
		{"hf_no_model_type_infinity_tolerated", `{"hidden_size": 32, "num_hidden_layers": 1, "vocab_size": 7, "time_step_max": Infinity}`,
			func(c Config) bool { return c.DtRank == 2 && c.PaddedVocab() == 7 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, json, wantErr string
	}{
		{"not_json", `{`, "mamba config"},
		{"unknown_layout", `{"n_embd": 3}`, "neither mamba_ssm"},
		{"mamba2_model_type", `{"model_type": "mamba2"}`, "use package mamba2"},
		{"other_model_type", `{"model_type": "gpt_neox"}`, "not a Mamba-1"},
		{"native_mamba2_layer", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "ssm_cfg": {"layer": "Mamba2"}}`, "use package mamba2"},
		{"native_d_intermediate", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "d_intermediate": 256}`, "d_intermediate = 256"},
		{"native_layernorm", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "rms_norm": false}`, "rms_norm = false"},
		{"native_attention_layers", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "attn_layer_idx": [1]}`, "attn_layer_idx"},
		{"native_missing_n_layer", `{"d_model": 64, "vocab_size": 8}`, "missing field n_layer"},
		{"native_fractional_d_state", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "ssm_cfg": {"d_state": 1.5}}`, "ssm_cfg: d_state = 1.5"},
		{"native_bad_dt_rank_string", `{"d_model": 64, "n_layer": 2, "vocab_size": 8, "ssm_cfg": {"dt_rank": "full"}}`, "dt_rank = \"full\""},
		{"hf_missing_hidden_size", `{"model_type": "mamba", "num_hidden_layers": 2, "vocab_size": 8}`, "missing field hidden_size"},
		{"hf_intermediate_contradicts_expand", `{"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 8, "expand": 2, "intermediate_size": 100}`, "intermediate_size = 100 contradicts"},
		{"hf_gelu", `{"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 8, "hidden_act": "gelu"}`, "hidden_act"},
		{"hf_zero_state", `{"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 8, "state_size": 0}`, "d_state = 0"},
		{"hf_bool_as_string", `{"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 8, "use_bias": "no"}`, "use_bias"},
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
	for _, p := range []string{filepath.Join(fixtures, "config.json"), filepath.Join(fixtures, "hf", "config.json")} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"d_model": 1, "n_layer": 1, "vocab_size": 1, "ssm_cfg": {"expand": 0.5}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("ParseConfig returned a config that fails Validate: %v", err)
		}
		if c.PaddedVocab() < c.VocabSize {
			t.Fatalf("padded vocab %d < vocab %d", c.PaddedVocab(), c.VocabSize)
		}
	})
}

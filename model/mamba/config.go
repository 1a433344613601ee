package mamba

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/steady-ml/steady/internal/pyjson"
)

// Config is the shape of a Mamba-1 language model. It is read from either
// checkpoint format by ParseConfig; the JSON key of each field is given as
// mamba_ssm MambaConfig key / HF transformers MambaConfig key.
type Config struct {
	DModel    int // d_model / hidden_size
	NLayer    int // n_layer / num_hidden_layers
	VocabSize int // vocab_size, as declared (before padding)
	// PadVocabSizeMultiple is pad_vocab_size_multiple (mamba_ssm, default 8):
	// the embedding and logits have VocabSize rounded up to a multiple of it.
	// HF MambaForCausalLM does not pad, so HF configs get 1.
	PadVocabSizeMultiple int
	DState               int     // ssm_cfg.d_state / state_size (default 16): N
	DConv                int     // ssm_cfg.d_conv / conv_kernel (default 4): conv width
	Expand               float64 // ssm_cfg.expand / expand (default 2)
	DInner               int     // expand·d_model / intermediate_size
	DtRank               int     // ssm_cfg.dt_rank / time_step_rank; "auto" → ⌈d_model/16⌉: R
	Bias                 bool    // ssm_cfg.bias / use_bias (default false): in_proj and out_proj bias
	ConvBias             bool    // ssm_cfg.conv_bias / use_conv_bias (default true)
	NormEps              float32 // RMSNorm ε: 1e-5 in mamba_ssm (fixed) / layer_norm_epsilon
	// ResidualInFP32 is residual_in_fp32 (default true). The forward here keeps
	// the residual stream in float32 either way; the flag is kept for writing
	// configs back and for the precision policy.
	ResidualInFP32 bool
	TieEmbeddings  bool // tie_embeddings / tie_word_embeddings (default true)
}

// PaddedVocab is the number of embedding rows and logits: VocabSize rounded
// up to a multiple of PadVocabSizeMultiple, as MambaLMHeadModel does.
func (c Config) PaddedVocab() int {
	m := max(c.PadVocabSizeMultiple, 1)
	return (c.VocabSize + m - 1) / m * m
}

// Validate reports the first field that makes the config unusable.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"d_model", c.DModel}, {"n_layer", c.NLayer}, {"vocab_size", c.VocabSize},
		{"pad_vocab_size_multiple", c.PadVocabSizeMultiple}, {"d_state", c.DState},
		{"d_conv", c.DConv}, {"d_inner", c.DInner}, {"dt_rank", c.DtRank},
	} {
		if f.v <= 0 {
			return fmt.Errorf("mamba config: %s = %d, must be positive", f.name, f.v)
		}
	}
	if !(c.NormEps > 0) {
		return fmt.Errorf("mamba config: norm epsilon %g must be positive", c.NormEps)
	}
	if c.Expand > 0 && int(c.Expand*float64(c.DModel)) != c.DInner {
		return fmt.Errorf("mamba config: intermediate size %d ≠ expand %g × d_model %d", c.DInner, c.Expand, c.DModel)
	}
	return nil
}

// ParseConfig reads a config.json in either mamba_ssm's MambaConfig layout
// (d_model, n_layer, ssm_cfg, ...) or HF transformers' MambaConfig layout
// (model_type "mamba", hidden_size, state_size, ...), applies each format's
// own defaults and validates the result. The model size (d_model / hidden_size,
// n_layer / num_hidden_layers, vocab_size) must be present: the reference
// defaults for them (a 2.8B model) are never what a file meant.
func ParseConfig(data []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(pyjson.Sanitize(data), &raw); err != nil {
		return Config{}, fmt.Errorf("mamba config: %w", err)
	}
	j := jsonObject{raw: raw, where: "mamba config"}
	mt, _, err := j.str("model_type", "")
	if err != nil {
		return Config{}, err
	}
	var c Config
	switch {
	case mt == "mamba":
		c, err = parseHF(j)
	case mt == "mamba2":
		return Config{}, fmt.Errorf("mamba config: model_type %q is Mamba-2; use package mamba2", mt)
	case mt != "":
		return Config{}, fmt.Errorf("mamba config: model_type %q is not a Mamba-1 model", mt)
	case j.has("d_model"):
		c, err = parseNative(j)
	case j.has("hidden_size"):
		c, err = parseHF(j)
	default:
		return Config{}, fmt.Errorf("mamba config: neither mamba_ssm (d_model) nor HF (model_type \"mamba\", hidden_size) keys found")
	}
	if err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// parseNative reads mamba_ssm's MambaConfig (models/config_mamba.py) with the
// Mamba mixer defaults of modules/mamba_simple.py.
func parseNative(j jsonObject) (Config, error) {
	var c Config
	var err error
	req := func(dst *int, key string) {
		if err == nil {
			*dst, err = j.reqInt(key)
		}
	}
	req(&c.DModel, "d_model")
	req(&c.NLayer, "n_layer")
	req(&c.VocabSize, "vocab_size")
	if err != nil {
		return c, err
	}
	if di, _, err := j.integer("d_intermediate", 0); err != nil {
		return c, err
	} else if di != 0 {
		return c, fmt.Errorf("mamba config: d_intermediate = %d (an MLP after each mixer) is not supported; only 0", di)
	}
	if rms, _, err := j.boolean("rms_norm", true); err != nil {
		return c, err
	} else if !rms {
		return c, fmt.Errorf("mamba config: rms_norm = false (LayerNorm blocks) is not supported")
	}
	if n, err := j.length("attn_layer_idx"); err != nil {
		return c, err
	} else if n > 0 {
		return c, fmt.Errorf("mamba config: attn_layer_idx lists %d attention layers; hybrid models are not supported", n)
	}
	c.NormEps = 1e-5 // MixerModel's norm_epsilon, not stored in config.json
	if c.PadVocabSizeMultiple, _, err = j.integer("pad_vocab_size_multiple", 8); err != nil {
		return c, err
	}
	if c.ResidualInFP32, _, err = j.boolean("residual_in_fp32", true); err != nil {
		return c, err
	}
	if c.TieEmbeddings, _, err = j.boolean("tie_embeddings", true); err != nil {
		return c, err
	}
	ssm, err := j.object("ssm_cfg")
	if err != nil {
		return c, err
	}
	if layer, _, err := ssm.str("layer", "Mamba1"); err != nil {
		return c, err
	} else if layer == "Mamba2" {
		return c, fmt.Errorf("mamba config: ssm_cfg.layer = %q; use package mamba2", layer)
	} else if layer != "Mamba1" {
		return c, fmt.Errorf("mamba config: ssm_cfg.layer = %q, want \"Mamba1\"", layer)
	}
	return c, c.readMixer(ssm, mixerKeys{dState: "d_state", dConv: "d_conv", expand: "expand", dtRank: "dt_rank", bias: "bias", convBias: "conv_bias"})
}

// parseHF reads HF transformers' MambaConfig (configuration_mamba.py, v4.40).
func parseHF(j jsonObject) (Config, error) {
	var c Config
	var err error
	req := func(dst *int, key string) {
		if err == nil {
			*dst, err = j.reqInt(key)
		}
	}
	req(&c.DModel, "hidden_size")
	req(&c.NLayer, "num_hidden_layers")
	req(&c.VocabSize, "vocab_size")
	if err != nil {
		return c, err
	}
	if act, _, err := j.str("hidden_act", "silu"); err != nil {
		return c, err
	} else if act != "silu" {
		return c, fmt.Errorf("mamba config: hidden_act = %q; only \"silu\" is supported", act)
	}
	c.PadVocabSizeMultiple = 1 // MambaForCausalLM uses vocab_size as is
	eps, _, err := j.float("layer_norm_epsilon", 1e-5)
	if err != nil {
		return c, err
	}
	c.NormEps = float32(eps)
	if c.ResidualInFP32, _, err = j.boolean("residual_in_fp32", true); err != nil {
		return c, err
	}
	if c.TieEmbeddings, _, err = j.boolean("tie_word_embeddings", true); err != nil {
		return c, err
	}
	if err := c.readMixer(j, mixerKeys{dState: "state_size", dConv: "conv_kernel", expand: "expand", dtRank: "time_step_rank", bias: "use_bias", convBias: "use_conv_bias"}); err != nil {
		return c, err
	}
	di, ok, err := j.integer("intermediate_size", c.DInner)
	if err != nil {
		return c, err
	}
	if ok && di != c.DInner {
		return c, fmt.Errorf("mamba config: intermediate_size = %d contradicts expand %g × hidden_size %d = %d", di, c.Expand, c.DModel, c.DInner)
	}
	return c, nil
}

// mixerKeys names the mixer fields in one of the two formats.
type mixerKeys struct{ dState, dConv, expand, dtRank, bias, convBias string }

// readMixer fills the mixer fields from j with the Mamba mixer defaults
// (d_state 16, d_conv 4, expand 2, dt_rank "auto", bias false, conv_bias true).
func (c *Config) readMixer(j jsonObject, k mixerKeys) error {
	var err error
	if c.DState, _, err = j.integer(k.dState, 16); err != nil {
		return err
	}
	if c.DConv, _, err = j.integer(k.dConv, 4); err != nil {
		return err
	}
	if c.Expand, _, err = j.float(k.expand, 2); err != nil {
		return err
	}
	if !(c.Expand > 0) {
		return fmt.Errorf("%s: %s = %g, must be positive", j.where, k.expand, c.Expand)
	}
	c.DInner = int(c.Expand * float64(c.DModel))
	if c.Bias, _, err = j.boolean(k.bias, false); err != nil {
		return err
	}
	if c.ConvBias, _, err = j.boolean(k.convBias, true); err != nil {
		return err
	}
	// dt_rank: "auto" (the default) means ⌈d_model/16⌉ (mamba_simple.py).
	if s, _, serr := j.str(k.dtRank, "auto"); serr == nil {
		if s != "auto" {
			return fmt.Errorf("%s: %s = %q, want \"auto\" or an integer", j.where, k.dtRank, s)
		}
		c.DtRank = int(math.Ceil(float64(c.DModel) / 16))
		return nil
	}
	c.DtRank, err = j.reqInt(k.dtRank)
	return err
}

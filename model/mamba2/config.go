package mamba2

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/steady-ml/steady/internal/pyjson"
)

// Config is the shape of a Mamba-2 language model. ParseConfig reads it from
// either checkpoint format; each field names its key as
// mamba_ssm MambaConfig key / HF transformers Mamba2Config key.
type Config struct {
	DModel    int // d_model / hidden_size: D
	NLayer    int // n_layer / num_hidden_layers
	VocabSize int // vocab_size, as declared (before padding)
	// PadVocabSizeMultiple is pad_vocab_size_multiple (mamba_ssm, default 8):
	// the embedding and logits have VocabSize rounded up to a multiple of it.
	// HF Mamba2ForCausalLM does not pad, so HF configs get 1.
	PadVocabSizeMultiple int
	DState               int  // ssm_cfg.d_state / state_size (default 128): N
	DConv                int  // ssm_cfg.d_conv / conv_kernel (default 4): conv width W
	Expand               int  // ssm_cfg.expand / expand (default 2): d_inner = Expand·DModel
	HeadDim              int  // ssm_cfg.headdim / head_dim (default 64): P
	NGroups              int  // ssm_cfg.ngroups / n_groups (mamba_ssm default 1, HF 8): G
	ChunkSize            int  // ssm_cfg.chunk_size / chunk_size (default 256): Q of the chunked scan
	DHasHdim             bool // ssm_cfg.D_has_hdim (default false): D per channel instead of per head
	// GatedNorm is ssm_cfg.rmsnorm / rms_norm (default true): the gated RMSNorm
	// before out_proj; without it the output is y·SiLU(z).
	GatedNorm bool
	// NormBeforeGate is ssm_cfg.norm_before_gate (default false). HF v4.44's
	// Mamba2 stores norm_before_gate but never reads it (it always gates
	// first), so HF configs get false whatever they say.
	NormBeforeGate bool
	Bias           bool       // ssm_cfg.bias / use_bias (default false): in_proj and out_proj bias
	ConvBias       bool       // ssm_cfg.conv_bias / use_conv_bias (default true)
	DtLimit        [2]float64 // ssm_cfg.dt_limit / time_step_limit (default [0, +Inf]): Δ is clamped to it
	NormEps        float32    // block and final RMSNorm ε: 1e-5 in mamba_ssm (fixed) / layer_norm_epsilon
	GatedNormEps   float32    // gated RMSNorm ε: 1e-5 in mamba_ssm (fixed) / layer_norm_epsilon
	// ResidualInFP32 is residual_in_fp32 (default true). The forward here keeps
	// the residual stream in float32 either way; the flag is kept for writing
	// configs back and for the precision policy.
	ResidualInFP32 bool
	TieEmbeddings  bool // tie_embeddings / tie_word_embeddings (mamba_ssm default true, HF false)
}

// DInner is the SSM width d_inner = Expand·DModel (= nheads·headdim).
func (c Config) DInner() int { return c.Expand * c.DModel }

// NHeads is the number of SSM heads H = d_inner / headdim.
func (c Config) NHeads() int { return c.DInner() / c.HeadDim }

// ConvDim is the number of channels of the conv over xBC: d_inner + 2·G·N.
func (c Config) ConvDim() int { return c.DInner() + 2*c.NGroups*c.DState }

// DInProj is in_proj's output width 2·d_inner + 2·G·N + H, laid out [z | x | B | C | dt].
func (c Config) DInProj() int { return 2*c.DInner() + 2*c.NGroups*c.DState + c.NHeads() }

// PaddedVocab is the number of embedding rows and logits: VocabSize rounded
// up to a multiple of PadVocabSizeMultiple, as MambaLMHeadModel does.
func (c Config) PaddedVocab() int {
	m := max(c.PadVocabSizeMultiple, 1)
	return (c.VocabSize + m - 1) / m * m
}

// maxSize bounds every size field, so that products of sizes cannot overflow.
const maxSize = 1 << 24

// Validate reports the first field that makes the config unusable.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"d_model", c.DModel}, {"n_layer", c.NLayer}, {"vocab_size", c.VocabSize},
		{"pad_vocab_size_multiple", c.PadVocabSizeMultiple}, {"d_state", c.DState},
		{"d_conv", c.DConv}, {"expand", c.Expand}, {"headdim", c.HeadDim},
		{"ngroups", c.NGroups}, {"chunk_size", c.ChunkSize},
	} {
		if f.v <= 0 {
			return fmt.Errorf("mamba2 config: %s = %d, must be positive", f.name, f.v)
		}
		if f.v > maxSize {
			return fmt.Errorf("mamba2 config: %s = %d is implausibly large (limit %d)", f.name, f.v, maxSize)
		}
	}
	if c.DInner()%c.HeadDim != 0 {
		return fmt.Errorf("mamba2 config: d_inner = expand·d_model = %d is not divisible by headdim %d", c.DInner(), c.HeadDim)
	}
	if c.NHeads()%c.NGroups != 0 {
		return fmt.Errorf("mamba2 config: nheads %d (d_inner %d / headdim %d) is not divisible by ngroups %d", c.NHeads(), c.DInner(), c.HeadDim, c.NGroups)
	}
	if !(c.NormEps > 0) || !(c.GatedNormEps > 0) {
		return fmt.Errorf("mamba2 config: norm epsilons %g, %g must be positive", c.NormEps, c.GatedNormEps)
	}
	if !(c.DtLimit[0] >= 0 && c.DtLimit[0] < c.DtLimit[1]) {
		return fmt.Errorf("mamba2 config: dt limit %v must satisfy 0 ≤ low < high", c.DtLimit)
	}
	return nil
}

// ParseConfig reads a config.json in either mamba_ssm's MambaConfig layout
// (d_model, n_layer, ssm_cfg with layer "Mamba2", ...) or HF transformers'
// Mamba2Config layout (model_type "mamba2", hidden_size, num_heads, ...),
// applies each format's own defaults (mamba_ssm modules/mamba2.py Mamba2;
// HF configuration_mamba2.py v4.44) and validates the result. The model size
// (d_model / hidden_size, n_layer / num_hidden_layers, vocab_size) must be
// present: the reference defaults for it are never what a file meant.
func ParseConfig(data []byte) (Config, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(pyjson.Sanitize(data), &raw); err != nil {
		return Config{}, fmt.Errorf("mamba2 config: %w", err)
	}
	j := jsonFields{raw: raw, where: "mamba2 config"}
	var mt string
	if err := j.str(&mt, "model_type"); err != nil {
		return Config{}, err
	}
	var c Config
	var err error
	switch {
	case mt == "mamba2":
		c, err = parseHF(j)
	case mt != "":
		return Config{}, fmt.Errorf("mamba2 config: model_type %q is not a Mamba-2 model", mt)
	case j.has("d_model"):
		c, err = parseNative(j)
	default:
		return Config{}, fmt.Errorf("mamba2 config: neither mamba_ssm (d_model, ssm_cfg) nor HF (model_type \"mamba2\") keys found")
	}
	if err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// parseNative reads mamba_ssm's MambaConfig (models/config_mamba.py) with
// the Mamba2 mixer defaults of modules/mamba2.py.
func parseNative(j jsonFields) (Config, error) {
	c := Config{PadVocabSizeMultiple: 8, NormEps: 1e-5, GatedNormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: true}
	rmsNorm, dIntermediate := true, 0
	steps := []func() error{
		func() error { return j.required(&c.DModel, "d_model") },
		func() error { return j.required(&c.NLayer, "n_layer") },
		func() error { return j.required(&c.VocabSize, "vocab_size") },
		func() error { return j.integer(&c.PadVocabSizeMultiple, "pad_vocab_size_multiple") },
		func() error { return j.boolean(&c.ResidualInFP32, "residual_in_fp32") },
		func() error { return j.boolean(&c.TieEmbeddings, "tie_embeddings") },
		func() error { return j.boolean(&rmsNorm, "rms_norm") },
		func() error { return j.integer(&dIntermediate, "d_intermediate") },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return c, err
		}
	}
	if !rmsNorm {
		return c, fmt.Errorf("mamba2 config: rms_norm = false (LayerNorm blocks) is not supported")
	}
	if dIntermediate != 0 {
		return c, fmt.Errorf("mamba2 config: d_intermediate = %d (an MLP after each mixer) is not supported; only 0", dIntermediate)
	}
	if n, err := j.length("attn_layer_idx"); err != nil {
		return c, err
	} else if n > 0 {
		return c, fmt.Errorf("mamba2 config: attn_layer_idx lists %d attention layers; hybrid models are not supported", n)
	}
	ssm, err := j.object("ssm_cfg")
	if err != nil {
		return c, err
	}
	layer := "Mamba1"
	if err := ssm.str(&layer, "layer"); err != nil {
		return c, err
	}
	if layer != "Mamba2" {
		return c, fmt.Errorf("mamba2 config: ssm_cfg.layer = %q, want \"Mamba2\"", layer)
	}
	// Mamba2.__init__ defaults.
	c.DState, c.DConv, c.Expand, c.HeadDim, c.NGroups, c.ChunkSize = 128, 4, 2, 64, 1, 256
	c.GatedNorm, c.ConvBias, c.DtLimit = true, true, [2]float64{0, math.Inf(1)}
	dSSM := -1
	for _, s := range []func() error{
		func() error { return ssm.integer(&c.DState, "d_state") },
		func() error { return ssm.integer(&c.DConv, "d_conv") },
		func() error { return ssm.integer(&c.Expand, "expand") },
		func() error { return ssm.integer(&c.HeadDim, "headdim") },
		func() error { return ssm.integer(&c.NGroups, "ngroups") },
		func() error { return ssm.integer(&c.ChunkSize, "chunk_size") },
		func() error { return ssm.integer(&dSSM, "d_ssm") },
		func() error { return ssm.boolean(&c.DHasHdim, "D_has_hdim") },
		func() error { return ssm.boolean(&c.GatedNorm, "rmsnorm") },
		func() error { return ssm.boolean(&c.NormBeforeGate, "norm_before_gate") },
		func() error { return ssm.boolean(&c.Bias, "bias") },
		func() error { return ssm.boolean(&c.ConvBias, "conv_bias") },
		func() error { return ssm.limit(&c.DtLimit, "dt_limit") },
	} {
		if err := s(); err != nil {
			return c, err
		}
	}
	if dSSM != -1 && dSSM != c.DInner() {
		return c, fmt.Errorf("mamba2 config: ssm_cfg.d_ssm = %d ≠ d_inner %d (a partial SSM with a gated MLP) is not supported", dSSM, c.DInner())
	}
	return c, nil
}

// parseHF reads HF transformers' Mamba2Config (configuration_mamba2.py,
// v4.44) with its defaults.
func parseHF(j jsonFields) (Config, error) {
	c := Config{
		PadVocabSizeMultiple: 1, // Mamba2ForCausalLM uses vocab_size as is
		DState:               128, DConv: 4, Expand: 2, HeadDim: 64, NGroups: 8, ChunkSize: 256,
		GatedNorm: true, ConvBias: true, DtLimit: [2]float64{0, math.Inf(1)}, ResidualInFP32: true,
	}
	eps := 1e-5
	act := "silu"
	numHeads := -1
	for _, s := range []func() error{
		func() error { return j.required(&c.DModel, "hidden_size") },
		func() error { return j.required(&c.NLayer, "num_hidden_layers") },
		func() error { return j.required(&c.VocabSize, "vocab_size") },
		func() error { return j.integer(&c.DState, "state_size") },
		func() error { return j.integer(&c.DConv, "conv_kernel") },
		func() error { return j.integer(&c.Expand, "expand") },
		func() error { return j.integer(&c.HeadDim, "head_dim") },
		func() error { return j.integer(&c.NGroups, "n_groups") },
		func() error { return j.integer(&c.ChunkSize, "chunk_size") },
		func() error { return j.integer(&numHeads, "num_heads") },
		func() error { return j.boolean(&c.Bias, "use_bias") },
		func() error { return j.boolean(&c.ConvBias, "use_conv_bias") },
		func() error { return j.boolean(&c.GatedNorm, "rms_norm") },
		func() error { return j.limit(&c.DtLimit, "time_step_limit") },
		func() error { return j.float(&eps, "layer_norm_epsilon") },
		func() error { return j.boolean(&c.ResidualInFP32, "residual_in_fp32") },
		func() error { return j.boolean(&c.TieEmbeddings, "tie_word_embeddings") },
		func() error { return j.str(&act, "hidden_act") },
	} {
		if err := s(); err != nil {
			return c, err
		}
	}
	if act != "silu" {
		return c, fmt.Errorf("mamba2 config: hidden_act = %q; only \"silu\" is supported", act)
	}
	c.NormEps, c.GatedNormEps = float32(eps), float32(eps)
	if numHeads != -1 && c.HeadDim > 0 && numHeads*c.HeadDim != c.DInner() {
		return c, fmt.Errorf("mamba2 config: num_heads %d × head_dim %d = %d contradicts expand %d × hidden_size %d = %d",
			numHeads, c.HeadDim, numHeads*c.HeadDim, c.Expand, c.DModel, c.DInner())
	}
	return c, nil
}

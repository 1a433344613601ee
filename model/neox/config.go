package neox

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Config is the architecture of a GPT-NeoX model, read from a Hugging Face
// config.json with model_type "gpt_neox" (transformers GPTNeoXConfig).
type Config struct {
	VocabSize             int     // vocab_size: rows of embed_in and embed_out
	HiddenSize            int     // hidden_size: width of the residual stream
	NumHiddenLayers       int     // num_hidden_layers
	NumAttentionHeads     int     // num_attention_heads
	IntermediateSize      int     // intermediate_size: width of the MLP
	HiddenAct             string  // hidden_act: "gelu" (exact erf) or a tanh approximation ("gelu_new", "gelu_fast", "gelu_pytorch_tanh")
	RotaryPct             float64 // rotary_pct: fraction of each head that is rotated
	RotaryEmbBase         float64 // rotary_emb_base (rope_theta in later transformers)
	MaxPositionEmbeddings int     // max_position_embeddings: longest sequence, cache included
	LayerNormEps          float64 // layer_norm_eps
	UseParallelResidual   bool    // use_parallel_residual: x + attn(ln1(x)) + mlp(ln2(x)) instead of sequential
	AttentionBias         bool    // attention_bias: query_key_value and dense have biases
	TieWordEmbeddings     bool    // tie_word_embeddings: embed_out shares embed_in's weight
}

// rawConfig mirrors config.json; pointers tell a missing field from a zero one.
type rawConfig struct {
	ModelType             *string         `json:"model_type"`
	VocabSize             *int            `json:"vocab_size"`
	HiddenSize            *int            `json:"hidden_size"`
	NumHiddenLayers       *int            `json:"num_hidden_layers"`
	NumAttentionHeads     *int            `json:"num_attention_heads"`
	IntermediateSize      *int            `json:"intermediate_size"`
	HiddenAct             *string         `json:"hidden_act"`
	RotaryPct             *float64        `json:"rotary_pct"`
	PartialRotaryFactor   *float64        `json:"partial_rotary_factor"`
	RotaryEmbBase         *float64        `json:"rotary_emb_base"`
	RopeTheta             *float64        `json:"rope_theta"`
	MaxPositionEmbeddings *int            `json:"max_position_embeddings"`
	LayerNormEps          *float64        `json:"layer_norm_eps"`
	UseParallelResidual   *bool           `json:"use_parallel_residual"`
	AttentionBias         *bool           `json:"attention_bias"`
	TieWordEmbeddings     *bool           `json:"tie_word_embeddings"`
	RopeScaling           json.RawMessage `json:"rope_scaling"`
}

// ParseConfig reads a Hugging Face GPT-NeoX config.json and validates it.
//
// The five size fields (vocab_size, hidden_size, num_hidden_layers,
// num_attention_heads, intermediate_size) are required: HF's defaults for them
// describe GPT-NeoX-20B, which a file that omits them almost surely is not.
// The other fields default as in transformers' GPTNeoXConfig: hidden_act
// "gelu", rotary_pct 0.25, rotary_emb_base 10000, max_position_embeddings 2048,
// layer_norm_eps 1e-5, use_parallel_residual true, attention_bias true,
// tie_word_embeddings false. rope_theta is accepted for rotary_emb_base and
// partial_rotary_factor for rotary_pct.
// rope_scaling must be absent or null.
func ParseConfig(data []byte) (Config, error) {
	var r rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r); err != nil {
		return Config{}, fmt.Errorf("gpt_neox config: %w", err)
	}
	if r.ModelType == nil {
		return Config{}, fmt.Errorf("gpt_neox config: model_type missing, want \"gpt_neox\"")
	}
	if *r.ModelType != "gpt_neox" {
		return Config{}, fmt.Errorf("gpt_neox config: model_type %q, want \"gpt_neox\"", *r.ModelType)
	}
	if len(r.RopeScaling) > 0 && !bytes.Equal(bytes.TrimSpace(r.RopeScaling), []byte("null")) {
		return Config{}, fmt.Errorf("gpt_neox config: rope_scaling %s is not supported (only null)", r.RopeScaling)
	}
	c := Config{
		HiddenAct:             "gelu",
		RotaryPct:             0.25,
		RotaryEmbBase:         10000,
		MaxPositionEmbeddings: 2048,
		LayerNormEps:          1e-5,
		UseParallelResidual:   true,
		AttentionBias:         true,
	}
	for _, f := range []struct {
		name string
		src  *int
		dst  *int
	}{
		{"vocab_size", r.VocabSize, &c.VocabSize},
		{"hidden_size", r.HiddenSize, &c.HiddenSize},
		{"num_hidden_layers", r.NumHiddenLayers, &c.NumHiddenLayers},
		{"num_attention_heads", r.NumAttentionHeads, &c.NumAttentionHeads},
		{"intermediate_size", r.IntermediateSize, &c.IntermediateSize},
	} {
		if f.src == nil {
			return Config{}, fmt.Errorf("gpt_neox config: %s missing", f.name)
		}
		*f.dst = *f.src
	}
	// Later transformers versions spell two fields differently; either
	// spelling is accepted, both only when they agree.
	for _, a := range []struct {
		name, alias string
		v, w        *float64
	}{
		{"rotary_emb_base", "rope_theta", r.RotaryEmbBase, r.RopeTheta},
		{"rotary_pct", "partial_rotary_factor", r.RotaryPct, r.PartialRotaryFactor},
	} {
		if a.v != nil && a.w != nil && *a.v != *a.w {
			return Config{}, fmt.Errorf("gpt_neox config: %s %g and %s %g contradict each other", a.name, *a.v, a.alias, *a.w)
		}
	}
	setIf(&c.HiddenAct, r.HiddenAct)
	setIf(&c.RotaryPct, r.PartialRotaryFactor)
	setIf(&c.RotaryPct, r.RotaryPct)
	setIf(&c.RotaryEmbBase, r.RopeTheta)
	setIf(&c.RotaryEmbBase, r.RotaryEmbBase)
	setIf(&c.MaxPositionEmbeddings, r.MaxPositionEmbeddings)
	setIf(&c.LayerNormEps, r.LayerNormEps)
	setIf(&c.UseParallelResidual, r.UseParallelResidual)
	setIf(&c.AttentionBias, r.AttentionBias)
	setIf(&c.TieWordEmbeddings, r.TieWordEmbeddings)
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// HeadSize is hidden_size / num_attention_heads.
func (c Config) HeadSize() int { return c.HiddenSize / c.NumAttentionHeads }

// RotaryDims is the number of rotated leading dims per head,
// int(head_size · rotary_pct) as HF computes rotary_ndims.
func (c Config) RotaryDims() int { return int(float64(c.HeadSize()) * c.RotaryPct) }

// Validate reports the first field that is out of range or contradicts another.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize},
		{"hidden_size", c.HiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads},
		{"intermediate_size", c.IntermediateSize},
		{"max_position_embeddings", c.MaxPositionEmbeddings},
	} {
		if f.v <= 0 {
			return fmt.Errorf("gpt_neox config: %s %d, want > 0", f.name, f.v)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("gpt_neox config: hidden_size %d is not divisible by num_attention_heads %d", c.HiddenSize, c.NumAttentionHeads)
	}
	if !(c.RotaryPct > 0 && c.RotaryPct <= 1) {
		return fmt.Errorf("gpt_neox config: rotary_pct %g, want in (0, 1]", c.RotaryPct)
	}
	if d := c.RotaryDims(); d < 2 || d%2 != 0 {
		return fmt.Errorf("gpt_neox config: rotary dims int(head_size %d · rotary_pct %g) = %d, want even and ≥ 2", c.HeadSize(), c.RotaryPct, d)
	}
	if !(c.RotaryEmbBase > 0) {
		return fmt.Errorf("gpt_neox config: rotary_emb_base %g, want > 0", c.RotaryEmbBase)
	}
	if !(c.LayerNormEps > 0) {
		return fmt.Errorf("gpt_neox config: layer_norm_eps %g, want > 0", c.LayerNormEps)
	}
	switch c.HiddenAct {
	case "gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh":
	default:
		return fmt.Errorf("gpt_neox config: hidden_act %q is not supported (want gelu, gelu_new, gelu_fast or gelu_pytorch_tanh)", c.HiddenAct)
	}
	return nil
}

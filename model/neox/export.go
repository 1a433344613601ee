package neox

import (
	"encoding/json"
	"strings"

	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
)

// HFConfig returns config.json for HF transformers' GPTNeoXForCausalLM
// (configuration_gpt_neox.py).
func (m *Model) HFConfig() ([]byte, error) {
	c := m.Config
	cfg := map[string]any{
		"architectures":           []string{"GPTNeoXForCausalLM"},
		"model_type":              "gpt_neox",
		"vocab_size":              c.VocabSize,
		"hidden_size":             c.HiddenSize,
		"num_hidden_layers":       c.NumHiddenLayers,
		"num_attention_heads":     c.NumAttentionHeads,
		"intermediate_size":       c.IntermediateSize,
		"hidden_act":              c.HiddenAct,
		"rotary_pct":              c.RotaryPct,
		"rotary_emb_base":         c.RotaryEmbBase,
		"max_position_embeddings": c.MaxPositionEmbeddings,
		"layer_norm_eps":          c.LayerNormEps,
		"use_parallel_residual":   c.UseParallelResidual,
		"attention_bias":          c.AttentionBias,
		"tie_word_embeddings":     c.TieWordEmbeddings,
		"initializer_range":       initStd,
		"bos_token_id":            0,
		"eos_token_id":            0,
		"torch_dtype":             "float32",
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// initStd is GPTNeoXConfig's initializer_range.
const initStd = 0.02

// Init returns a model initialised as HF's GPTNeoXPreTrainedModel._init_weights
// does: Linear and Embedding weights N(0, 0.02²), biases 0, LayerNorm weight 1
// and bias 0, drawn from a PCG stream seeded by seed.
func Init(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := randinit.New(seed, 0x6e656f78)
	shapes := (&Model{Config: cfg, layers: make([]layer, cfg.NumHiddenLayers)}).tensors()
	w := model.MapWeights{}
	for _, t := range shapes {
		if t.optional {
			continue
		}
		n := 1
		for _, d := range t.shape {
			n *= d
		}
		var data []float32
		switch {
		case len(t.shape) == 2:
			data = randinit.Normal(r, n, initStd)
		case isLayerNormWeight(t.name):
			data = randinit.Fill(n, 1)
		default:
			data = randinit.Fill(n, 0)
		}
		w.Put(t.name, data, t.shape...)
	}
	return New(cfg, w)
}

// isLayerNormWeight tells a LayerNorm's weight from the biases among 1-D tensors.
func isLayerNormWeight(name string) bool {
	return strings.HasSuffix(name, "layernorm.weight") || strings.HasSuffix(name, "layer_norm.weight")
}

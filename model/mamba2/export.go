package mamba2

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/steady-ml/steady/model"
)

// Params lists the parameters under HF Mamba2ForCausalLM names, sharing the
// model's weights. HF v4.44 declares no tied weights for Mamba-2, so its
// save_pretrained writes lm_head.weight even when it is the embedding; so
// does this list (the fixtures' hf/ folder is laid out the same way).
func (m *Model) Params() []model.Param {
	ps := append([]model.Param(nil), m.params...)
	if m.Config.TieEmbeddings {
		ps = append(ps, model.Param{Name: nameLMHead, Shape: []int{m.Config.PaddedVocab(), m.Config.DModel}, Data: m.LMHead.Weight})
	}
	return ps
}

// HFConfig returns config.json for HF transformers' Mamba2ForCausalLM
// (configuration_mamba2.py). vocab_size is the padded vocabulary, as the
// converted state-spaces checkpoints on the hub have it.
func (m *Model) HFConfig() ([]byte, error) {
	c := m.Config
	if c.DHasHdim || c.NormBeforeGate || !c.GatedNorm {
		return nil, fmt.Errorf("mamba2: HF Mamba2Config cannot express D_has_hdim, norm_before_gate or rmsnorm=false")
	}
	limit := []any{c.DtLimit[0], c.DtLimit[1]}
	if math.IsInf(c.DtLimit[1], 1) {
		// JSON has no Infinity; Python's json writes it bare and transformers
		// reads it back, so the same token replaces a placeholder below.
		limit[1] = infinityPlaceholder
	}
	cfg := map[string]any{
		"architectures":       []string{"Mamba2ForCausalLM"},
		"model_type":          "mamba2",
		"hidden_size":         c.DModel,
		"num_hidden_layers":   c.NLayer,
		"vocab_size":          c.PaddedVocab(),
		"state_size":          c.DState,
		"conv_kernel":         c.DConv,
		"expand":              c.Expand,
		"head_dim":            c.HeadDim,
		"num_heads":           c.NHeads(),
		"n_groups":            c.NGroups,
		"chunk_size":          c.ChunkSize,
		"use_bias":            c.Bias,
		"use_conv_bias":       c.ConvBias,
		"rms_norm":            c.GatedNorm,
		"norm_before_gate":    false,
		"time_step_limit":     limit,
		"layer_norm_epsilon":  float64(c.NormEps),
		"residual_in_fp32":    c.ResidualInFP32,
		"tie_word_embeddings": c.TieEmbeddings,
		"hidden_act":          "silu",
		"torch_dtype":         "float32",
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	return bytes.ReplaceAll(out, []byte(`"`+infinityPlaceholder+`"`), []byte("Infinity")), err
}

const infinityPlaceholder = "__python_json_infinity__"

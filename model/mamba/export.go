package mamba

import (
	"encoding/json"
	"fmt"

	"github.com/steady-ml/steady/model"
)

// Params lists the parameters under HF MambaForCausalLM names, sharing the
// model's weights; a tied LM head is not listed (HF's save_pretrained drops
// it). The scan uses A = −exp(A_log), derived from the parameter: LossAndGrad
// rederives it before and after an optimiser's in-place update; after
// changing A_log through these slices any other way, call Refresh.
func (m *Model) Params() []model.Param {
	c := m.cfg
	d, di, n, rk := c.DModel, c.DInner, c.DState, c.DtRank
	ps := []model.Param{{Name: nameEmbedding[1], Shape: []int{m.vocab, d}, Data: m.embed.Weight}}
	for i, b := range m.layers {
		mx := &b.mixer
		add := func(rel string, data []float32, shape ...int) {
			if data != nil {
				ps = append(ps, model.Param{Name: layerName(i, rel)[0], Shape: shape, Data: data})
			}
		}
		add(nameNorm, b.norm.Weight, d)
		add(nameInProj, mx.inProj.Weight, 2*di, d)
		add(nameInProjB, mx.inProj.Bias, 2*di)
		add(nameConv, mx.conv.Weight, di, 1, c.DConv)
		add(nameConvB, mx.conv.Bias, di)
		add(nameXProj, mx.xProj.Weight, rk+2*n, di)
		add(nameDtProj, mx.dtProj.Weight, di, rk)
		add(nameDtProjB, mx.scan.DeltaBias, di)
		add(nameALog, mx.aLog, di, n)
		add(nameD, mx.scan.D, di)
		add(nameOutProj, mx.outProj.Weight, d, di)
		add(nameOutProjB, mx.outProj.Bias, d)
	}
	ps = append(ps, model.Param{Name: nameNormF[0], Shape: []int{d}, Data: m.normF.Weight})
	if !c.TieEmbeddings {
		ps = append(ps, model.Param{Name: nameLMHead[0], Shape: []int{m.vocab, d}, Data: m.lmHead.Weight})
	}
	return ps
}

// Refresh recomputes what the model derives from its parameters (each
// layer's A = −exp(A_log)); call it after updating the parameters in place.
func (m *Model) Refresh() {
	for i := range m.layers {
		m.layers[i].mixer.refreshA()
	}
}

// HFConfig returns config.json for HF transformers' MambaForCausalLM
// (configuration_mamba.py). vocab_size is the padded vocabulary, as the
// converted state-spaces checkpoints on the hub have it.
func (m *Model) HFConfig() ([]byte, error) {
	c := m.cfg
	if float64(c.DInner) != c.Expand*float64(c.DModel) {
		return nil, fmt.Errorf("mamba: d_inner %d is not expand %g × d_model %d, which HF MambaConfig cannot express", c.DInner, c.Expand, c.DModel)
	}
	cfg := map[string]any{
		"architectures":       []string{"MambaForCausalLM"},
		"model_type":          "mamba",
		"hidden_size":         c.DModel,
		"num_hidden_layers":   c.NLayer,
		"vocab_size":          m.vocab,
		"state_size":          c.DState,
		"conv_kernel":         c.DConv,
		"expand":              c.Expand,
		"intermediate_size":   c.DInner,
		"time_step_rank":      c.DtRank,
		"use_bias":            c.Bias,
		"use_conv_bias":       c.ConvBias,
		"layer_norm_epsilon":  float64(c.NormEps),
		"residual_in_fp32":    c.ResidualInFP32,
		"tie_word_embeddings": c.TieEmbeddings,
		"hidden_act":          "silu",
		"bos_token_id":        0,
		"eos_token_id":        0,
		"pad_token_id":        0,
		"torch_dtype":         "float32",
	}
	return json.MarshalIndent(cfg, "", "  ")
}

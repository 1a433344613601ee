package neox

import (
	"strconv"

	"github.com/steady-ml/steady/model"
)

// tensor is one checkpoint tensor: its name, the shape it must have and the
// parameter slice it fills.
type tensor struct {
	name     string
	shape    []int
	dst      *[]float32
	optional bool // absent when the config says so (tied embed_out)
}

// tensors is the table of checkpoint names: every parameter of m with its
// Hugging Face GPTNeoXForCausalLM state_dict name and shape. It is the only
// place those names are spelled.
func (m *Model) tensors() []tensor {
	c := m.Config
	h, in, v := c.HiddenSize, c.IntermediateSize, c.VocabSize
	ts := []tensor{{name: "gpt_neox.embed_in.weight", shape: []int{v, h}, dst: &m.embedIn.Weight}}
	for i := range m.layers {
		l := &m.layers[i]
		p := "gpt_neox.layers." + strconv.Itoa(i) + "."
		ts = append(ts,
			tensor{name: p + "input_layernorm.weight", shape: []int{h}, dst: &l.ln1.Weight},
			tensor{name: p + "input_layernorm.bias", shape: []int{h}, dst: &l.ln1.Bias},
			tensor{name: p + "post_attention_layernorm.weight", shape: []int{h}, dst: &l.ln2.Weight},
			tensor{name: p + "post_attention_layernorm.bias", shape: []int{h}, dst: &l.ln2.Bias},
			tensor{name: p + "attention.query_key_value.weight", shape: []int{3 * h, h}, dst: &l.qkv.Weight},
			tensor{name: p + "attention.dense.weight", shape: []int{h, h}, dst: &l.dense.Weight},
			tensor{name: p + "mlp.dense_h_to_4h.weight", shape: []int{in, h}, dst: &l.fc1.Weight},
			tensor{name: p + "mlp.dense_h_to_4h.bias", shape: []int{in}, dst: &l.fc1.Bias},
			tensor{name: p + "mlp.dense_4h_to_h.weight", shape: []int{h, in}, dst: &l.fc2.Weight},
			tensor{name: p + "mlp.dense_4h_to_h.bias", shape: []int{h}, dst: &l.fc2.Bias},
		)
		if c.AttentionBias {
			ts = append(ts,
				tensor{name: p + "attention.query_key_value.bias", shape: []int{3 * h}, dst: &l.qkv.Bias},
				tensor{name: p + "attention.dense.bias", shape: []int{h}, dst: &l.dense.Bias},
			)
		}
	}
	return append(ts,
		tensor{name: "gpt_neox.final_layer_norm.weight", shape: []int{h}, dst: &m.finalLN.Weight},
		tensor{name: "gpt_neox.final_layer_norm.bias", shape: []int{h}, dst: &m.finalLN.Bias},
		tensor{name: "embed_out.weight", shape: []int{v, h}, dst: &m.embedOut.Weight, optional: c.TieWordEmbeddings},
	)
}

// Params lists the model's parameters in checkpoint order with their
// Hugging Face names. A tied embed_out is not listed separately.
func (m *Model) Params() []model.Param {
	var ps []model.Param
	for _, t := range m.tensors() {
		if t.optional && &(*t.dst)[0] == &m.embedIn.Weight[0] {
			continue
		}
		ps = append(ps, model.Param{Name: t.name, Shape: t.shape, Data: *t.dst})
	}
	return ps
}

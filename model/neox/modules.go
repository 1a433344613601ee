package neox

import (
	"slices"
	"strconv"

	"github.com/steady-ml/steady/nn"
)

// Modules returns the model's modules by their HF GPTNeoXForCausalLM module
// path (gpt_neox.embed_in, gpt_neox.layers.<i>.attention.query_key_value, …,
// embed_out), as PEFT matches adapter targets against them. The handles
// point into the live model: attaching a LoRA to one changes the next
// Forward. A tied embed_in/embed_out pair carries an Untie.
func (m *Model) Modules() map[string]nn.Module {
	c := m.Config
	h := c.HiddenSize
	linear := func(l *nn.Linear) nn.Module {
		return nn.Module{Kind: nn.KindLinear, In: l.In, Out: l.Out, Linear: l}
	}
	norm := nn.Module{Kind: nn.KindNorm, In: h, Out: h}
	mods := map[string]nn.Module{
		"gpt_neox.embed_in":         {Kind: nn.KindEmbedding, In: c.VocabSize, Out: h, Embedding: &m.embedIn, Untie: m.untie},
		"gpt_neox.final_layer_norm": norm,
		"embed_out":                 {Kind: nn.KindLinear, In: h, Out: c.VocabSize, Linear: &m.embedOut, Untie: m.untie},
	}
	for i := range m.layers {
		l := &m.layers[i]
		p := "gpt_neox.layers." + strconv.Itoa(i) + "."
		mods[p+"input_layernorm"] = norm
		mods[p+"post_attention_layernorm"] = norm
		mods[p+"attention.query_key_value"] = linear(&l.qkv)
		mods[p+"attention.dense"] = linear(&l.dense)
		mods[p+"mlp.dense_h_to_4h"] = linear(&l.fc1)
		mods[p+"mlp.dense_4h_to_h"] = linear(&l.fc2)
	}
	return mods
}

// untie gives a tied embed_out its own copy of embed_in and marks the config
// untied, so a merge into one leaves the other as it was.
func (m *Model) untie() {
	if &m.embedOut.Weight[0] != &m.embedIn.Weight[0] {
		return
	}
	m.embedOut.Weight = slices.Clone(m.embedOut.Weight)
	m.Config.TieWordEmbeddings = false
}

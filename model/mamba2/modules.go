package mamba2

import (
	"slices"
	"strconv"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// Modules returns the model's modules by their HF Mamba2ForCausalLM module
// path (backbone.embeddings, backbone.layers.<i>.mixer.in_proj, …, lm_head),
// as PEFT matches adapter targets against them. The handles point into the
// live model: attaching a LoRA to one changes the next Forward.
//
// A tied embedding and LM head both carry an Untie that gives the LM head its
// own copy of the table before a merge, so merging one leaves the other as it
// was.
func (m *Model) Modules() map[string]nn.Module {
	c := m.Config
	mods := map[string]nn.Module{
		"backbone.embeddings": {Kind: nn.KindEmbedding, In: c.PaddedVocab(), Out: c.DModel, Embedding: &m.Embedding, Untie: m.untie},
		"backbone.norm_f":     {Kind: nn.KindNorm, In: c.DModel, Out: c.DModel},
		"lm_head":             {Kind: nn.KindLinear, In: c.DModel, Out: c.PaddedVocab(), Linear: &m.LMHead, Untie: m.untie},
	}
	for i := range m.Blocks {
		mx := &m.Blocks[i].Mixer
		p := "backbone.layers." + strconv.Itoa(i) + "."
		mods[p+"norm"] = nn.Module{Kind: nn.KindNorm, In: c.DModel, Out: c.DModel}
		mods[p+"mixer.in_proj"] = nn.Module{Kind: nn.KindLinear, In: mx.InProj.In, Out: mx.InProj.Out, Linear: &mx.InProj}
		mods[p+"mixer.conv1d"] = nn.Module{Kind: nn.KindConv1d, In: c.ConvDim(), Out: c.ConvDim()}
		if c.GatedNorm {
			mods[p+"mixer.norm"] = nn.Module{Kind: nn.KindNorm, In: c.DInner(), Out: c.DInner()}
		}
		mods[p+"mixer.out_proj"] = nn.Module{Kind: nn.KindLinear, In: mx.OutProj.In, Out: mx.OutProj.Out, Linear: &mx.OutProj}
	}
	return mods
}

// untie gives a tied LM head its own copy of the embedding table and marks
// the config untied; Params then lists lm_head.weight as a tensor of its own.
func (m *Model) untie() {
	if !m.Config.TieEmbeddings {
		return
	}
	m.LMHead.Weight = slices.Clone(m.LMHead.Weight)
	m.Config.TieEmbeddings = false
	m.params = append(m.params, model.Param{Name: nameLMHead, Shape: []int{m.Config.PaddedVocab(), m.Config.DModel}, Data: m.LMHead.Weight})
}

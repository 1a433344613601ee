package mamba

import (
	"slices"
	"strconv"

	"github.com/steady-ml/steady/nn"
)

// Modules returns the model's modules by their HF MambaForCausalLM module
// path (backbone.embeddings, backbone.layers.<i>.mixer.in_proj, …, lm_head),
// as PEFT matches adapter targets against them. The handles point into the
// live model: attaching a LoRA to one changes the next Forward.
//
// Every Linear takes an adapter, dt_proj included: the mixer packs its input
// δ_low out of x_proj's output and applies it through nn.Linear. A tied
// embedding and LM head share one table; the handles of both carry an Untie
// that gives the LM head its own copy before a merge.
func (m *Model) Modules() map[string]nn.Module {
	c := m.cfg
	mods := map[string]nn.Module{
		"backbone.embeddings": {Kind: nn.KindEmbedding, In: m.vocab, Out: c.DModel, Embedding: &m.embed, Untie: m.untie},
		"backbone.norm_f":     {Kind: nn.KindNorm, In: c.DModel, Out: c.DModel},
		"lm_head":             {Kind: nn.KindLinear, In: c.DModel, Out: m.vocab, Linear: &m.lmHead, Untie: m.untie},
	}
	for i := range m.layers {
		b := &m.layers[i]
		p := "backbone.layers." + strconv.Itoa(i) + "."
		linear := func(l *nn.Linear) nn.Module { return nn.Module{Kind: nn.KindLinear, In: l.In, Out: l.Out, Linear: l} }
		mods[p+"norm"] = nn.Module{Kind: nn.KindNorm, In: c.DModel, Out: c.DModel}
		mods[p+"mixer.in_proj"] = linear(&b.mixer.inProj)
		mods[p+"mixer.conv1d"] = nn.Module{Kind: nn.KindConv1d, In: c.DInner, Out: c.DInner}
		mods[p+"mixer.x_proj"] = linear(&b.mixer.xProj)
		mods[p+"mixer.dt_proj"] = linear(&b.mixer.dtProj)
		mods[p+"mixer.out_proj"] = linear(&b.mixer.outProj)
	}
	return mods
}

// untie gives a tied LM head its own copy of the embedding table, so the
// two can differ (a merged embedding adapter changes only the input lookup,
// as the unmerged PEFT adapter does), and marks the config untied so Params
// and HFConfig export lm_head.weight.
func (m *Model) untie() {
	if !m.cfg.TieEmbeddings {
		return
	}
	m.lmHead.Weight = slices.Clone(m.lmHead.Weight)
	m.cfg.TieEmbeddings = false
}

package mamba2

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
)

// The checkpoint tensor names, for both layouts: mamba_ssm's
// MambaLMHeadModel state_dict and HF transformers' Mamba2ForCausalLM (v4.44),
// which differ only in the embedding's name. This is the only place the names
// appear.
const (
	nameEmbedding   = "backbone.embedding.weight"  // mamba_ssm
	nameEmbeddingHF = "backbone.embeddings.weight" // HF transformers
	nameNormF       = "backbone.norm_f.weight"
	nameLMHead      = "lm_head.weight"
)

// layerTensor is one per-layer tensor: its name under backbone.layers.{i}.,
// its shape, where it goes, and whether the config wants it.
type layerTensor struct {
	leaf  string
	shape []int
	dst   *[]float32
	want  bool // false: the config says the tensor does not exist (e.g. bias = false)
}

// layerTensors lists the tensors of one block for config c, pointing into b.
func layerTensors(c Config, b *blockWeights) []layerTensor {
	dI, H, cd := c.DInner(), c.NHeads(), c.ConvDim()
	dLen := H
	if c.DHasHdim {
		dLen = dI
	}
	return []layerTensor{
		{"norm.weight", []int{c.DModel}, &b.norm, true},
		{"mixer.in_proj.weight", []int{c.DInProj(), c.DModel}, &b.inProj, true},
		{"mixer.in_proj.bias", []int{c.DInProj()}, &b.inProjBias, c.Bias},
		{"mixer.conv1d.weight", []int{cd, 1, c.DConv}, &b.convWeight, true},
		{"mixer.conv1d.bias", []int{cd}, &b.convBias, c.ConvBias},
		{"mixer.dt_bias", []int{H}, &b.dtBias, true},
		{"mixer.A_log", []int{H}, &b.aLog, true},
		{"mixer.D", []int{dLen}, &b.d, true},
		{"mixer.norm.weight", []int{dI}, &b.gatedNorm, c.GatedNorm},
		{"mixer.out_proj.weight", []int{c.DModel, dI}, &b.outProj, true},
		{"mixer.out_proj.bias", []int{c.DModel}, &b.outProjBias, c.Bias},
	}
}

// blockWeights are one block's tensors as read from the checkpoint.
type blockWeights struct {
	norm, inProj, inProjBias, convWeight, convBias, dtBias, aLog, d, gatedNorm, outProj, outProjBias []float32
}

// loader reads tensors from w, keeping the first error, and records each
// under its Hugging Face name for Params.
type loader struct {
	w      model.Weights
	err    error
	params []model.Param
}

// load reads name and checks its shape.
func (l *loader) load(name string, shape []int) []float32 {
	if l.err != nil {
		return nil
	}
	if !l.w.Has(name) {
		l.err = fmt.Errorf("mamba2: missing tensor %s (shape %v)", name, shape)
		return nil
	}
	data, got, err := l.w.F32(name)
	if err != nil {
		l.err = fmt.Errorf("mamba2: tensor %s: %w", name, err)
		return nil
	}
	if !slices.Equal(got, shape) {
		l.err = fmt.Errorf("mamba2: tensor %s has shape %v, want %v", name, got, shape)
		return nil
	}
	hfName := name
	if name == nameEmbedding {
		hfName = nameEmbeddingHF
	}
	l.params = append(l.params, model.Param{Name: hfName, Shape: shape, Data: data})
	return data
}

// layer reads the tensors of block i, refusing tensors the config says do not exist.
func (l *loader) layer(c Config, i int) blockWeights {
	var b blockWeights
	for _, t := range layerTensors(c, &b) {
		name := fmt.Sprintf("backbone.layers.%d.%s", i, t.leaf)
		switch {
		case t.want:
			*t.dst = l.load(name, t.shape)
		case l.err == nil && l.w.Has(name):
			l.err = fmt.Errorf("mamba2: tensor %s is in the checkpoint but the config says it does not exist (bias / conv_bias / rmsnorm)", name)
		}
	}
	return b
}

// embedding reads the token embedding under whichever layout's name is present.
func (l *loader) embedding(c Config) []float32 {
	name := nameEmbedding
	if !l.w.Has(name) && l.w.Has(nameEmbeddingHF) {
		name = nameEmbeddingHF
	}
	if l.err == nil && !l.w.Has(name) {
		l.err = fmt.Errorf("mamba2: missing tensor %s (or %s)", nameEmbedding, nameEmbeddingHF)
		return nil
	}
	return l.load(name, []int{c.PaddedVocab(), c.DModel})
}

package neox

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// Model is a GPT-NeoX causal language model. It implements model.LM.
//
// A Model owns its activation buffers, which it allocates for the largest
// (batch, seq, cache length) it has seen and reuses; calls to Forward are
// serialised by a mutex.
type Model struct {
	Config Config

	// Trace, when not nil, is called during Forward with each intermediate
	// under its fixture name ("embeddings", "layers.i.input_layernorm_out",
	// "layers.i.qkv", "layers.i.attn_probs", "layers.i.attention_out",
	// "layers.i.post_attention_layernorm_out", "layers.i.mlp_out",
	// "layers.i.out", "final_layer_norm_out", "logits") and its shape.
	// data is only valid during the call.
	Trace func(name string, data []float32, shape []int)

	embedIn      nn.Embedding // E_in: (vocab, hidden)
	layers       []layer
	finalLN      nn.LayerNorm // LN_f: (hidden)
	embedOut     nn.Linear    // E_out: (vocab, hidden), no bias
	rotary       nn.Rotary    // tables for positions < max_position_embeddings
	attn         nn.Attention
	gelu         func(y, x []float32)
	geluBackward func(dx, dy, x []float32)
	cast         nn.Autocast // the autocast format (precision.go); AutocastOff: float32
	rotCos       []float32   // cos(p·θ_i) of rotary: (max_position_embeddings, rotary_ndims/2), built for autocast
	rotSin       []float32   // sin(p·θ_i) of rotary: (max_position_embeddings, rotary_ndims/2), built for autocast

	mu        sync.Mutex
	act       activations
	trainBufs trainBuffers
}

// layer is one GPT-NeoX block's parameters (float32).
type layer struct {
	ln1   nn.LayerNorm // input_layernorm: (hidden)
	ln2   nn.LayerNorm // post_attention_layernorm: (hidden)
	qkv   nn.Linear    // query_key_value: (3·hidden, hidden), rows interleaved per head
	dense nn.Linear    // attention.dense: (hidden, hidden)
	fc1   nn.Linear    // mlp.dense_h_to_4h: (intermediate, hidden)
	fc2   nn.Linear    // mlp.dense_4h_to_h: (hidden, intermediate)
}

var _ model.LM = (*Model)(nil)

// New validates cfg and builds the model from w, looking up every parameter
// by its Hugging Face name (see names.go). The slices w returns are kept, not
// copied. Errors name the missing or misshapen tensor.
func New(cfg Config, w model.Weights) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if w == nil {
		return nil, fmt.Errorf("gpt_neox: no weights")
	}
	h, in, v := cfg.HiddenSize, cfg.IntermediateSize, cfg.VocabSize
	eps := float32(cfg.LayerNormEps)
	m := &Model{Config: cfg, layers: make([]layer, cfg.NumHiddenLayers)}
	m.embedIn = nn.Embedding{Vocab: v, Dim: h}
	for i := range m.layers {
		m.layers[i] = layer{
			ln1:   nn.LayerNorm{Dim: h, Eps: eps},
			ln2:   nn.LayerNorm{Dim: h, Eps: eps},
			qkv:   nn.Linear{In: h, Out: 3 * h},
			dense: nn.Linear{In: h, Out: h},
			fc1:   nn.Linear{In: h, Out: in},
			fc2:   nn.Linear{In: in, Out: h},
		}
	}
	m.finalLN = nn.LayerNorm{Dim: h, Eps: eps}
	m.embedOut = nn.Linear{In: h, Out: v}
	for _, t := range m.tensors() {
		if t.optional && !w.Has(t.name) {
			continue
		}
		data, shape, err := w.F32(t.name)
		if err != nil {
			return nil, fmt.Errorf("gpt_neox: tensor %s: %w", t.name, err)
		}
		if !slices.Equal(shape, t.shape) {
			return nil, fmt.Errorf("gpt_neox: tensor %s has shape %v, want %v", t.name, shape, t.shape)
		}
		if len(data) != numel(t.shape) {
			return nil, fmt.Errorf("gpt_neox: tensor %s has %d values for shape %v", t.name, len(data), shape)
		}
		*t.dst = data
	}
	if m.embedOut.Weight == nil { // tie_word_embeddings without a stored embed_out
		m.embedOut.Weight = m.embedIn.Weight
	}
	var err error
	if m.rotary, err = nn.NewRotary(cfg.RotaryDims(), cfg.MaxPositionEmbeddings, cfg.RotaryEmbBase); err != nil {
		return nil, fmt.Errorf("gpt_neox: %w", err)
	}
	hs := cfg.HeadSize()
	// norm_factor = head_size^-0.5, rounded to fp32 as torch's baddbmm alpha.
	m.attn = nn.Attention{Heads: cfg.NumAttentionHeads, HeadSize: hs, Scale: float32(1 / math.Sqrt(float64(hs)))}
	m.gelu, m.geluBackward = nn.GELU, nn.GELUBackward
	if cfg.HiddenAct != "gelu" {
		m.gelu, m.geluBackward = nn.GELUTanh, nn.GELUTanhBackward
	}
	return m, nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// VocabSize is the width of the logits.
func (m *Model) VocabSize() int { return m.Config.VocabSize }

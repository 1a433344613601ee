package mamba2

import (
	"fmt"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// Model is a Mamba-2 language model (mamba_ssm MambaLMHeadModel with Mamba2
// mixers): embedding, NLayer pre-norm residual blocks, final RMSNorm and a
// (usually tied) LM head. It implements model.LM.
//
// A Model keeps its activation buffers between calls (one set per recent
// (batch, seq) shape), so it must not run two Forward calls at once.
type Model struct {
	// Config is the model's shape. Only ChunkSize may change after New; the
	// next Forward then uses the new chunk size.
	Config    Config
	Embedding nn.Embedding // E: (PaddedVocab, DModel), backbone.embedding.weight
	Blocks    []Block      // NLayer blocks
	NormF     nn.RMSNorm   // final norm γ: (DModel), backbone.norm_f.weight
	// LMHead is the output projection, weight (PaddedVocab, DModel), no
	// bias: its weight is the embedding table itself when TieEmbeddings,
	// else lm_head.weight. It takes a LoRA like any nn.Linear.
	LMHead nn.Linear
	// Trace, when set, receives every intermediate the reference fixtures
	// store, by their fixture names ("embeddings", "layers.{i}.residual_in",
	// "layers.{i}.norm_out", "layers.{i}.mixer_out", "layers.{i}.residual_out",
	// "norm_f_out", "logits"), with shape (batch, seq, width). data is a view
	// of an internal buffer, valid only during the call.
	Trace func(name string, data []float32, shape []int)

	params []model.Param    // every tensor read, under its HF name, sharing the weights
	ws     *nn.SSDWorkspace // chunked-scan scratch for Config.ChunkSize
	acts   []*activations   // most recently used first, at most two shapes
	train  *trainBuffers    // LossAndGrad's activations and gradient scratch (train.go)
	frozen *gradTensors     // the throw-away per-channel gradients of a frozen base (train.go)
	cast   nn.Autocast      // the autocast format (precision.go)
}

// Block is one pre-norm residual block (mamba_ssm modules/block.py Block):
// residual += Mixer(RMSNorm(residual)).
type Block struct {
	Norm  nn.RMSNorm // γ: (DModel), backbone.layers.{i}.norm.weight
	Mixer Mixer
}

// New builds a model for cfg from weights w, read through the one name table
// (names.go) in either the mamba_ssm or the HF layout. Tensors are used as
// returned by w, not copied. Errors name the missing or misshapen tensor.
func New(cfg Config, w model.Weights) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &loader{w: w}
	emb := l.embedding(cfg)
	normF := l.load(nameNormF, []int{cfg.DModel})
	head := emb
	if !cfg.TieEmbeddings {
		head = l.load(nameLMHead, []int{cfg.PaddedVocab(), cfg.DModel})
	}
	raw := make([]blockWeights, cfg.NLayer)
	for i := range raw {
		raw[i] = l.layer(cfg, i)
	}
	if l.err != nil {
		return nil, l.err
	}
	m := &Model{Config: cfg, Blocks: make([]Block, cfg.NLayer), params: l.params}
	var err error
	if m.LMHead, err = nn.NewLinear(head, nil, cfg.DModel, cfg.PaddedVocab()); err != nil {
		return nil, fmt.Errorf("mamba2: %s: %w", nameLMHead, err)
	}
	if m.Embedding, err = nn.NewEmbedding(emb, cfg.PaddedVocab(), cfg.DModel); err != nil {
		return nil, err
	}
	if m.NormF, err = nn.NewRMSNorm(normF, cfg.NormEps); err != nil {
		return nil, fmt.Errorf("mamba2: %s: %w", nameNormF, err)
	}
	for i := range m.Blocks {
		if m.Blocks[i], err = newBlock(cfg, raw[i]); err != nil {
			return nil, fmt.Errorf("mamba2: layer %d: %w", i, err)
		}
	}
	return m, nil
}

// VocabSize is the width of the logits: the padded vocabulary.
func (m *Model) VocabSize() int { return m.Config.PaddedVocab() }

// NewState returns a zero decode state for batch sequences (a *State).
func (m *Model) NewState(batch int) model.State { return newState(m.Config, batch) }

// Forward runs tokens (batch, seq) row-major and returns logits (batch, seq,
// VocabSize()), a fresh slice the caller owns. With a non-nil state (a *State
// from NewState with the same batch) the tokens continue the sequences held in
// it and the state advances past them. Calls with seq > 1 use the chunked SSD;
// seq = 1 uses the recurrence (decoding).
func (m *Model) Forward(tokens []int32, batch, seq int, state model.State) ([]float32, error) {
	st, err := m.checkInputs(tokens, batch, seq, state)
	if err != nil {
		return nil, err
	}
	c := m.Config
	a := m.activations(batch, seq)
	if m.ws == nil || m.ws.Chunk() != c.ChunkSize {
		m.ws = nn.NewSSDWorkspace(c.ChunkSize, c.DState)
	}
	rows, D, V := batch*seq, c.DModel, c.PaddedVocab()
	if err := m.Embedding.Forward(a.resid, tokens); err != nil {
		return nil, fmt.Errorf("mamba2: %w", err)
	}
	m.trace("embeddings", a.resid, batch, seq, D)
	for i := range m.Blocks {
		b := &m.Blocks[i]
		m.traceLayer(i, "residual_in", a.resid, batch, seq, D)
		// hidden = RMSNorm(residual)   (Block.forward, fused_add_norm off)
		b.Norm.Forward(a.normed, nil, a.resid, rows)
		m.traceLayer(i, "norm_out", a.normed, batch, seq, D)
		var conv, ssm []float32
		if st != nil {
			conv, ssm = st.Conv[i], st.SSM[i]
		}
		b.Mixer.forward(a, m.ws, conv, ssm)
		m.traceLayer(i, "mixer_out", a.mixOut, batch, seq, D)
		// residual = residual + mixer(hidden), in float32 (residual_in_fp32)
		for j, v := range a.mixOut[:rows*D] {
			a.resid[j] += v
		}
		m.traceLayer(i, "residual_out", a.resid, batch, seq, D)
	}
	m.NormF.Forward(a.normed, nil, a.resid, rows)
	m.trace("norm_f_out", a.normed, batch, seq, D)
	// logits (rows, V) = norm_f_out (rows, D) · LMHeadᵀ (D, V)
	logits := make([]float32, rows*V)
	m.LMHead.Forward(logits, a.normed, rows)
	m.trace("logits", logits, batch, seq, V)
	return logits, nil
}

// checkInputs validates the call and returns the state as a *State (nil for none).
func (m *Model) checkInputs(tokens []int32, batch, seq int, state model.State) (*State, error) {
	if batch <= 0 || seq <= 0 {
		return nil, fmt.Errorf("mamba2: empty input (batch %d, seq %d)", batch, seq)
	}
	if len(tokens) != batch*seq {
		return nil, fmt.Errorf("mamba2: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= m.Config.VocabSize {
			return nil, fmt.Errorf("mamba2: token id %d at batch %d position %d is outside the vocabulary [0, %d)", t, i/seq, i%seq, m.Config.VocabSize)
		}
	}
	if state == nil {
		return nil, nil
	}
	st, ok := state.(*State)
	if !ok {
		return nil, fmt.Errorf("mamba2: state is a %T, not a Mamba-2 *State", state)
	}
	if err := st.compatible(m.Config, batch); err != nil {
		return nil, err
	}
	return st, nil
}

func (m *Model) trace(name string, data []float32, batch, seq, width int) {
	if m.Trace != nil {
		m.Trace(name, data[:batch*seq*width], []int{batch, seq, width})
	}
}

func (m *Model) traceLayer(i int, name string, data []float32, batch, seq, width int) {
	if m.Trace != nil {
		m.trace(fmt.Sprintf("layers.%d.%s", i, name), data, batch, seq, width)
	}
}

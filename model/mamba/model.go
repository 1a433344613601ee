package mamba

import (
	"fmt"
	"sync"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// Model is a Mamba-1 language model (mamba_ssm MambaLMHeadModel with Mamba
// mixers and RMSNorm, no MLP; HF MambaForCausalLM). It implements model.LM.
// Forward calls are serialised by a mutex because they share one set of
// activation buffers.
type Model struct {
	cfg    Config
	vocab  int          // padded vocabulary: rows of the embedding, width of the logits
	embed  nn.Embedding // E: (vocab, DModel)
	layers []block
	normF  nn.RMSNorm // norm_f: γ (DModel)
	lmHead nn.Linear  // logits = h·Wᵀ, W: (vocab, DModel); W is E when tied

	cast   nn.Autocast // the autocast format (SetPrecision); each Linear and the embedding carry it too
	mu     sync.Mutex
	acts   activations
	train  *trainBuffers // LossAndGrad's activations and gradient scratch (train.go)
	frozen *gradTensors  // a frozen-base LossAndGrad's gradient targets (frozenGrads)
	// aStale says an optimiser may have changed A_log in place since A was
	// derived: set by every LossAndGrad call, cleared by the next Forward,
	// which recomputes A first.
	aStale bool
}

// block is one residual block (mamba_ssm Block): norm, then the Mamba mixer.
type block struct {
	norm  nn.RMSNorm // γ: (DModel)
	mixer mixer
}

// New builds a model from cfg and weights in either the mamba_ssm or the HF
// layout (see the name table in names.go). The model keeps the slices the
// weights return, except A, which it computes as −exp(A_log).
func New(cfg Config, w model.Weights) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := weightsReader{w: w}
	m := &Model{cfg: cfg, vocab: cfg.PaddedVocab()}
	e, err := r.load(nameEmbedding, m.vocab, cfg.DModel)
	if err != nil {
		return nil, err
	}
	if m.embed, err = nn.NewEmbedding(e, m.vocab, cfg.DModel); err != nil {
		return nil, err
	}
	for i := 0; i < cfg.NLayer; i++ {
		b, err := loadBlock(r, cfg, i)
		if err != nil {
			return nil, err
		}
		m.layers = append(m.layers, b)
	}
	normF, err := r.load(nameNormF, cfg.DModel)
	if err != nil {
		return nil, err
	}
	m.normF = nn.RMSNorm{Weight: normF, Eps: cfg.NormEps}
	head, err := loadHead(r, cfg, e)
	if err != nil {
		return nil, err
	}
	if m.lmHead, err = nn.NewLinear(head, nil, cfg.DModel, m.vocab); err != nil {
		return nil, err
	}
	return m, nil
}

// loadHead returns the LM head weight (vocab, DModel): the embedding e when
// tied, else lm_head.weight. mamba_ssm checkpoints of tied models store the
// tied copy too; one that differs from the embedding is an error, since no
// single model matches both.
func loadHead(r weightsReader, cfg Config, e []float32) ([]float32, error) {
	if cfg.TieEmbeddings && r.find(nameLMHead) == "" {
		return e, nil
	}
	stored, err := r.load(nameLMHead, cfg.PaddedVocab(), cfg.DModel)
	if err != nil {
		return nil, err
	}
	if !cfg.TieEmbeddings {
		return stored, nil
	}
	for i := range e {
		if stored[i] != e[i] {
			return nil, fmt.Errorf("mamba weights: tie_embeddings is set but %s differs from %s", nameLMHead[0], r.find(nameEmbedding))
		}
	}
	return e, nil
}

// loadBlock loads layer i's norm and mixer.
func loadBlock(r weightsReader, c Config, i int) (block, error) {
	var b block
	var err error
	get := func(rel string, shape ...int) []float32 {
		var x []float32
		if err == nil {
			x, err = r.load(layerName(i, rel), shape...)
		}
		return x
	}
	// bias loads a bias that the config switches on; one the config
	// switches off must be absent, so it is not silently dropped.
	bias := func(on bool, rel string, n int) []float32 {
		if err != nil {
			return nil
		}
		if on {
			return get(rel, n)
		}
		if r.find(layerName(i, rel)) != "" {
			err = fmt.Errorf("mamba weights: tensor %s is present but the config has no such bias", layerName(i, rel)[0])
		}
		return nil
	}
	d, di, n, rk := c.DModel, c.DInner, c.DState, c.DtRank
	norm := get(nameNorm, d)
	inW, inB := get(nameInProj, 2*di, d), bias(c.Bias, nameInProjB, 2*di)
	convW, convB := get(nameConv, di, 1, c.DConv), bias(c.ConvBias, nameConvB, di)
	xW := get(nameXProj, rk+2*n, di)
	dtW, dtB := get(nameDtProj, di, rk), get(nameDtProjB, di)
	aLog, dSkip := get(nameALog, di, n), get(nameD, di)
	outW, outB := get(nameOutProj, d, di), bias(c.Bias, nameOutProjB, d)
	if err != nil {
		return b, err
	}
	b.norm = nn.RMSNorm{Weight: norm, Eps: c.NormEps}
	mx := &b.mixer
	mx.dtRank = rk
	mx.aLog = aLog
	mx.scan = nn.SelectiveScan{A: make([]float32, len(aLog)), D: dSkip, DeltaBias: dtB, DeltaSoftplus: true, DInner: di, DState: n}
	mx.refreshA()
	if mx.inProj, err = nn.NewLinear(inW, inB, d, 2*di); err != nil {
		return b, err
	}
	if mx.conv, err = nn.NewCausalConv1d(convW, convB, di, c.DConv); err != nil {
		return b, err
	}
	if mx.xProj, err = nn.NewLinear(xW, nil, di, rk+2*n); err != nil {
		return b, err
	}
	if mx.dtProj, err = nn.NewLinear(dtW, nil, rk, di); err != nil {
		return b, err
	}
	if mx.outProj, err = nn.NewLinear(outW, outB, di, d); err != nil {
		return b, err
	}
	return b, nil
}

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// VocabSize is the width of the logits: the padded vocabulary.
func (m *Model) VocabSize() int { return m.vocab }

// NewState returns a zero decode state for batch sequences (model.LM).
func (m *Model) NewState(batch int) model.State { return m.NewMambaState(batch) }

// Forward runs tokens (batch, seq) and returns logits (batch, seq, VocabSize())
// (model.LM). With a non-nil *State the tokens continue its sequences and the
// state advances past them.
func (m *Model) Forward(tokens []int32, batch, seq int, state model.State) ([]float32, error) {
	return m.ForwardTrace(tokens, batch, seq, state, nil)
}

// TraceFunc receives an intermediate tensor of a forward by its name in the
// reference fixture (embeddings, layers.<i>.residual_in, layers.<i>.norm_out,
// layers.<i>.mixer_out, layers.<i>.residual_out, norm_f_out, logits). data is
// only valid during the call; copy it to keep it.
type TraceFunc func(name string, data []float32, shape []int)

// ForwardTrace is Forward that also hands each intermediate to trace (when
// non-nil), in the order they are computed.
func (m *Model) ForwardTrace(tokens []int32, batch, seq int, state model.State, trace TraceFunc) ([]float32, error) {
	st, err := m.checkInput(tokens, batch, seq, state)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.aStale {
		m.Refresh()
		m.aStale = false
	}
	rows, d := batch*seq, m.cfg.DModel
	a := &m.acts
	a.ensure(m.cfg, rows)
	emit := func(name string, x []float32, width int) {
		if trace != nil {
			trace(name, x[:rows*width], []int{batch, seq, width})
		}
	}
	layerEmit := func(i int, name string, x []float32) {
		if trace != nil {
			emit(fmt.Sprintf("layers.%d.%s", i, name), x, d)
		}
	}
	resid, hidden := a.resid[:rows*d], a.hidden[:rows*d] // (batch, seq, DModel)
	if err := m.embed.Forward(resid, tokens); err != nil {
		return nil, fmt.Errorf("mamba forward: %w", err)
	}
	emit("embeddings", resid, d)
	for i := range m.layers {
		l := &m.layers[i]
		layerEmit(i, "residual_in", resid)
		// Block (mamba_ssm modules/block.py): h = RMSNorm(residual); residual += Mixer(h).
		l.norm.Forward(hidden, nil, resid, rows)
		layerEmit(i, "norm_out", hidden)
		var cs, ss []float32
		if st != nil {
			cs, ss = st.conv[i], st.ssm[i]
		}
		l.mixer.forward(hidden, hidden, a, batch, seq, cs, ss)
		layerEmit(i, "mixer_out", hidden)
		for k, v := range hidden {
			resid[k] += v // residual stream in float32 (residual_in_fp32)
		}
		layerEmit(i, "residual_out", resid)
	}
	m.normF.Forward(hidden, nil, resid, rows)
	emit("norm_f_out", hidden, d)
	logits := make([]float32, rows*m.vocab) // (batch, seq, vocab), owned by the caller
	m.lmHead.Forward(logits, hidden, rows)
	emit("logits", logits, m.vocab)
	return logits, nil
}

// checkInput validates a Forward call and returns its state (nil for none).
func (m *Model) checkInput(tokens []int32, batch, seq int, state model.State) (*State, error) {
	if batch <= 0 || seq <= 0 {
		return nil, fmt.Errorf("mamba forward: empty input (batch %d, seq %d)", batch, seq)
	}
	if len(tokens) != batch*seq {
		return nil, fmt.Errorf("mamba forward: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= m.cfg.VocabSize {
			return nil, fmt.Errorf("mamba forward: token id %d at (sequence %d, position %d) is outside the vocabulary [0, %d)",
				t, i/seq, i%seq, m.cfg.VocabSize)
		}
	}
	if state == nil {
		return nil, nil
	}
	st, ok := state.(*State)
	if !ok {
		return nil, fmt.Errorf("mamba forward: state is a %T, not a *mamba.State", state)
	}
	if st.owner != m {
		return nil, fmt.Errorf("mamba forward: the state was made by another model (use this model's NewState)")
	}
	if st.batch != batch {
		return nil, fmt.Errorf("mamba forward: state holds %d sequences, input has batch %d", st.batch, batch)
	}
	return st, nil
}

package mamba2

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// NewGrads returns zeroed gradients for LossAndGrad to accumulate into: one
// per trainable tensor, with the names, shapes and order of Params, except
// that a tied lm_head.weight (Params' last entry, an alias of the embedding)
// is left out. Its gradient is added into backbone.embeddings.weight's, as
// torch does for the shared tensor and as the fixtures store it. So
// Params()[:len(NewGrads())] pairs each weight with its gradient, each
// tensor once, which is what an optimiser, a gradient norm and clipping need.
func (m *Model) NewGrads() []model.Param {
	ps := m.trainableParams()
	for i := range ps {
		ps[i].Data = make([]float32, len(ps[i].Data))
	}
	return ps
}

// trainableParams is Params without the tied head's alias.
func (m *Model) trainableParams() []model.Param {
	ps := m.Params()
	if m.Config.TieEmbeddings {
		ps = ps[:len(ps)-1]
	}
	return ps
}

// LossAndGrad runs tokens (batch, seq) forward from a zero state and backward
// in float32 and returns the mean next-token cross-entropy over the
// batch·(seq−1) predictions (HF's loss with labels = input_ids). The gradient
// of that loss with respect to every parameter is added to grads (see
// NewGrads); grads nil means the base model is frozen (see
// LossAndGradTargets). It is LossAndGradTargets with the tokens shifted by
// one as targets, the last position of each sequence ignored, and seed 1.
// Like Forward, it must not run at the same time as another call on m.
func (m *Model) LossAndGrad(tokens []int32, batch, seq int, grads []model.Param) (float64, error) {
	if seq < 2 {
		return 0, fmt.Errorf("mamba2: LossAndGrad needs seq ≥ 2 to have a next token, got %d", seq)
	}
	if batch <= 0 || len(tokens) != batch*seq {
		return 0, fmt.Errorf("mamba2: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	targets := make([]int32, batch*seq)
	nn.NextTokenTargets(targets, tokens, seq)
	return m.LossAndGradTargets(tokens, targets, batch, seq, 1, grads)
}

// LossAndGradTargets runs tokens (batch, seq) forward from a zero state and
// backward in float32 and returns the mean cross-entropy between the logits
// at each position and the target at that position, targets (batch, seq)
// being already shifted (dataset.Batch's contract), over the N targets that
// are not nn.IgnoreIndex (−100): PyTorch's F.cross_entropy(logits, targets,
// ignore_index=-100). It adds seed·∂loss/∂p to grads (see NewGrads):
//
//	dlogits_r = (seed/N)·(softmax(logits_r) − onehot(targets_r))     zero where ignored
//
// so a trainer folds the 1/GradAccum of gradient accumulation and a loss
// scale into seed. The returned loss does not include seed.
//
// grads nil means the base model is frozen (LoRA training): no gradient of
// the model's own parameters is computed, so the weight-gradient GEMMs of
// in_proj, out_proj and the LM head and the embedding's scatter are skipped
// (the small per-channel ones go to scratch that is thrown away), while the
// activation gradients still run all the way down to the embedding, so that
// every adapter attached through Modules with LoRA.Train (or
// EmbeddingLoRA.Train) set accumulates its GradA and GradB. Adapters in
// training accumulate the same way when grads is not nil.
//
// Errors name a token or target outside the vocabulary, a length that is not
// batch·seq, a gradient list that is not NewGrads', and a batch whose targets
// are all ignored; grads are untouched on error.
func (m *Model) LossAndGradTargets(tokens, targets []int32, batch, seq int, seed float32, grads []model.Param) (float64, error) {
	c := m.Config
	if _, err := m.checkInputs(tokens, batch, seq, nil); err != nil {
		return 0, err
	}
	if len(targets) != batch*seq {
		return 0, fmt.Errorf("mamba2: %d targets for batch %d × seq %d", len(targets), batch, seq)
	}
	count, err := nn.CountTargets(targets, seq, c.VocabSize)
	if err != nil {
		return 0, fmt.Errorf("mamba2: %w", err)
	}
	g, err := m.gradTensors(grads)
	if err != nil {
		return 0, err
	}
	tb := m.trainForward(tokens, batch, seq)
	// logits = n_f·Hᵀ, the loss, dn_f (rows, D) = dlogits·H and dH (V, D) +=
	// dlogitsᵀ·n_f (into dE when tied), a chunk of rows at a time (head.go).
	// Under autocast dlogits enters as the gradient of the half logits (rounded
	// by the LM head's autocast backward), and dn_f and dH's contribution are
	// rounded once
	sum := nn.LMHeadLoss(&m.LMHead, tb.dnormed, g.lmHead, tb.normed, targets, seed/float32(count), &tb.logits)
	m.backward(g, tb, tokens)
	return sum / float64(count), nil
}

// gradTensors are the gradient slices of one LossAndGrad call, laid out like
// the weights: blocks[i] holds layer i's, nil where the config has no tensor.
type gradTensors struct {
	embedding []float32 // (PaddedVocab, DModel)
	lmHead    []float32 // (PaddedVocab, DModel); embedding itself when tied
	normF     []float32 // (DModel)
	blocks    []blockWeights
}

// gradTensors checks grads against NewGrads' list and points the slices of
// a gradTensors at it, through the name table (names.go); nil grads give
// frozenGrads.
func (m *Model) gradTensors(grads []model.Param) (*gradTensors, error) {
	if grads == nil {
		return m.frozenGrads(), nil
	}
	c := m.Config
	want := m.trainableParams()
	if len(grads) != len(want) {
		return nil, fmt.Errorf("mamba2: %d gradient tensors, want %d (use NewGrads)", len(grads), len(want))
	}
	byName := make(map[string][]float32, len(want))
	for i, p := range want {
		if grads[i].Name != p.Name || !slices.Equal(grads[i].Shape, p.Shape) || len(grads[i].Data) != len(p.Data) {
			return nil, fmt.Errorf("mamba2: gradient %d is %s %v with %d values, want %s %v", i, grads[i].Name, grads[i].Shape, len(grads[i].Data), p.Name, p.Shape)
		}
		byName[p.Name] = grads[i].Data
	}
	g := &gradTensors{embedding: byName[nameEmbeddingHF], normF: byName[nameNormF], blocks: make([]blockWeights, c.NLayer)}
	g.lmHead = g.embedding
	if !c.TieEmbeddings {
		g.lmHead = byName[nameLMHead]
	}
	for i := range g.blocks {
		for _, t := range layerTensors(c, &g.blocks[i]) {
			if t.want {
				*t.dst = byName[fmt.Sprintf("backbone.layers.%d.%s", i, t.leaf)]
			}
		}
	}
	return g, nil
}

// frozenGrads returns the gradient tensors of a frozen base: nil for the
// embedding, the LM head and the Linears' weights and biases, whose
// gradients the nn backwards then skip, and scratch for the per-channel
// tensors that the norm, conv, SSD and Δ backwards always accumulate into
// (O(channels) per layer, the conv weight's O(channels·d_conv)): allocated
// once, accumulated into by every frozen call and never read.
func (m *Model) frozenGrads() *gradTensors {
	c := m.Config
	if m.frozen == nil {
		g := &gradTensors{normF: make([]float32, c.DModel), blocks: make([]blockWeights, c.NLayer)}
		for i := range g.blocks {
			b := &g.blocks[i]
			for _, t := range layerTensors(c, b) {
				switch t.leaf {
				case "norm.weight", "mixer.conv1d.weight", "mixer.dt_bias", "mixer.A_log", "mixer.D", "mixer.norm.weight":
					if t.want {
						*t.dst = make([]float32, shapeSize(t.shape))
					}
				}
			}
		}
		m.frozen = g
	}
	return m.frozen
}

// shapeSize is the number of values of a tensor of the given shape.
func shapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// trainBuffers are LossAndGrad's activations, one set per layer, and its
// gradient scratch, for one (batch, seq) shape; a call of another shape
// replaces them.
type trainBuffers struct {
	batch, seq     int
	cast           nn.Autocast    // the format they were made for
	layers         []*activations // layer i's; layers[i].resid is its input
	resid          []float32      // the last block's output: (batch, seq, DModel)
	normed         []float32      // norm_f output: (batch, seq, DModel)
	rstd           []float32      // norm_f's 1/rms: (batch, seq)
	logits         []float32      // one chunk of logits, then their gradient (nn.LMHeadLoss): (≤ nn.LMHeadChunkRows, PaddedVocab)
	dres           []float32      // ∂loss/∂residual stream: (batch, seq, DModel)
	dnormed, dnorm []float32      // ∂loss/∂(norm output), ∂loss/∂(norm input): (batch, seq, DModel)
	dyGated, dy    []float32      // ∂loss/∂(gated norm output), ∂loss/∂(SSD output): (batch, seq, DInner)
	dzxbcdt        []float32      // ∂loss/∂(in_proj output): (batch, seq, DInProj)
	dxbc           []float32      // ∂loss/∂(conv + SiLU output), then ∂loss/∂(conv output): (batch, seq, ConvDim)
	dDt, dDA       []float32      // ∂loss/∂Δ, ∂loss/∂(Δ·A): (batch, seq, H)
	spIn           []float32      // dt + dt_bias of one row: (H)
	dALog, dDtBias []float64      // per-head sums over the batch: (H)
}

// trainBuffers returns the buffers for (batch, seq), reusing the last ones
// when the shape is the same.
func (m *Model) trainBuffers(batch, seq int) *trainBuffers {
	if tb := m.train; tb != nil && tb.batch == batch && tb.seq == seq && tb.cast == m.cast {
		return tb
	}
	c := m.Config
	rows, D, dI, H := batch*seq, c.DModel, c.DInner(), c.NHeads()
	f := func(n int) []float32 { return make([]float32, n) }
	tb := &trainBuffers{
		batch: batch, seq: seq, cast: m.cast, layers: make([]*activations, c.NLayer),
		resid: f(rows * D), normed: f(rows * D), rstd: f(rows),
		dres: f(rows * D), dnormed: f(rows * D), dnorm: f(rows * D),
		dyGated: f(rows * dI), dy: f(rows * dI), dzxbcdt: f(rows * c.DInProj()), dxbc: f(rows * c.ConvDim()),
		dDt: f(rows * H), dDA: f(rows * H), spIn: f(H), dALog: make([]float64, H), dDtBias: make([]float64, H),
	}
	shared := newTrainScratch(c, batch, seq, m.cast)
	for i := range tb.layers {
		tb.layers[i] = newTrainActivations(c, batch, seq, m.cast, shared)
	}
	m.train = tb
	return tb
}

// trainForward is Forward from a zero state without tracing and without the
// LM head (nn.LMHeadLoss runs it by chunks), keeping every layer's activations
// and the norms' statistics for backward.
func (m *Model) trainForward(tokens []int32, batch, seq int) *trainBuffers {
	c := m.Config
	tb := m.trainBuffers(batch, seq)
	if m.ws == nil || m.ws.Chunk() != c.ChunkSize {
		m.ws = nn.NewSSDWorkspace(c.ChunkSize, c.DState)
	}
	rows, D := batch*seq, c.DModel
	x := tb.resid
	if len(tb.layers) > 0 {
		x = tb.layers[0].resid
	}
	if err := m.Embedding.Forward(x, tokens); err != nil { // the tokens were checked
		panic(err)
	}
	for i := range m.Blocks {
		b, a := &m.Blocks[i], tb.layers[i]
		// normed = RMSNorm(resid), saving 1/rms
		b.Norm.Forward(a.normed, a.rstd, a.resid, rows)
		b.Mixer.forward(a, m.ws, nil, nil)
		a.pack(m.cast)
		// next block's input = resid + mixer(normed)
		next := tb.resid
		if i+1 < len(tb.layers) {
			next = tb.layers[i+1].resid
		}
		for j, v := range a.mixOut[:rows*D] {
			next[j] = a.resid[j] + v
		}
	}
	m.NormF.Forward(tb.normed, tb.rstd, tb.resid, rows)
	return tb
}

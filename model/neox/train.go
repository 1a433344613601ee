package neox

import (
	"github.com/steady-ml/steady/model"

	"fmt"
	"slices"

	"github.com/steady-ml/steady/nn"
)

// trainBuffers are LossAndGrad's activations (one set per layer) and
// gradient scratch, grown to the largest call and reused.
type trainBuffers struct {
	layers           []layerActs // per layer, for cast (trainacts.go)
	cast             nn.Autocast // the format layers were sized for
	work             layerActs   // the buffers the layers share (trainacts.go)
	lnf, meanF, rstd []float32   // LN_f(x) (batch·seq, hidden), its row means and 1/σ (batch·seq)
	logits           []float32   // one chunk of logits, then their gradient (nn.LMHeadLoss): (≤ nn.LMHeadChunkRows, vocab)
	targets          []int32     // next token per position, nn.IgnoreIndex at the last: (batch·seq)
	dres             []float32   // ∂loss/∂x on the residual stream: (batch·seq, hidden)
	dln              []float32   // gradient of a LayerNorm output: (batch·seq, hidden)
	dmlp, dattn      []float32   // the MLP's and attention's contribution to dres: (batch·seq, hidden)
	dbranch          []float32   // autocast: round(dres), the gradient of a half branch output: (batch·seq, hidden)
	dctx             []float32   // (batch·seq, hidden)
	dqkv             []float32   // (batch·seq, 3·hidden)
	dq, dk, dv       []float32   // (batch, heads, seq, headSize)
	dprobs           []float32   // (batch, heads, seq, seq)
	dh4              []float32   // (batch·seq, intermediate)
	frozen           *Model      // the gradient model of a frozen base (frozenGrads), built once
}

// NewGrads returns zeroed gradients with the names and shapes of Params,
// for LossAndGrad to accumulate into.
func (m *Model) NewGrads() []model.Param {
	ps := m.Params()
	for i := range ps {
		ps[i].Data = make([]float32, len(ps[i].Data))
	}
	return ps
}

// LossAndGrad runs tokens (batch, seq) forward and backward in the
// precision SetPrecision set (float32 by default) and returns the mean
// next-token cross-entropy over the batch·(seq−1) predictions (HF's loss
// with labels = input_ids). The gradient of that loss
// with respect to every parameter is added to grads, which must have the
// names and shapes of Params (see NewGrads); a tied embed_out's gradient
// lands in embed_in's. grads nil means the base model is frozen: see
// LossAndGradTargets. The forward is the same as Forward's, without a cache.
// It is LossAndGradTargets with the tokens shifted by one as targets, the
// last position of each sequence ignored, and seed 1.
func (m *Model) LossAndGrad(tokens []int32, batch, seq int, grads []model.Param) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq < 2 {
		return 0, fmt.Errorf("gpt_neox: LossAndGrad needs seq ≥ 2 to have a next token, got %d", seq)
	}
	if batch <= 0 || len(tokens) != batch*seq {
		return 0, fmt.Errorf("gpt_neox: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	tb := &m.trainBufs
	tb.targets = slices.Grow(tb.targets[:0], batch*seq)[:batch*seq]
	nn.NextTokenTargets(tb.targets, tokens, seq)
	return m.lossAndGrad(tokens, tb.targets, batch, seq, 1, grads)
}

// LossAndGradTargets runs tokens (batch, seq) forward and backward in the
// precision SetPrecision set (float32 by default) and returns the mean
// cross-entropy between the logits at each position and the target at that
// position, targets (batch, seq) being already shifted (dataset.Batch's
// contract), over the N targets that are not nn.IgnoreIndex (−100):
// PyTorch's F.cross_entropy(logits, targets, ignore_index=-100). It adds seed·∂loss/∂p to grads (names and shapes of
// Params, see NewGrads; a tied embed_out's gradient lands in embed_in's):
//
//	dlogits_r = (seed/N)·(softmax(logits_r) − onehot(targets_r))     zero where ignored
//
// so a trainer folds the 1/GradAccum of gradient accumulation and a loss
// scale into seed instead of scaling the gradients afterwards. The returned
// loss does not include seed. Errors name a token or target outside the
// vocabulary, a length that is not batch·seq, and a batch whose targets are
// all ignored (its mean is undefined); grads are untouched on error.
//
// grads nil means the base model is frozen (LoRA training): no gradient of
// the model's own parameters is computed — the weight-gradient GEMMs of
// every Linear and the embedding and LM-head table gradients are skipped,
// and the LayerNorms' per-channel gradients go to scratch — but the
// activation gradients still flow down to the embedding, so every adapter
// attached through Modules with Train set accumulates seed·∂loss/∂A and
// seed·∂loss/∂B into its GradA and GradB. Adapters accumulate in either
// mode.
func (m *Model) LossAndGradTargets(tokens, targets []int32, batch, seq int, seed float32, grads []model.Param) (float64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lossAndGrad(tokens, targets, batch, seq, seed, grads)
}

// lossAndGrad is LossAndGradTargets with m.mu held.
func (m *Model) lossAndGrad(tokens, targets []int32, batch, seq int, seed float32, grads []model.Param) (float64, error) {
	rows, c := batch*seq, m.Config
	if _, err := m.check(tokens, batch, seq, nil); err != nil {
		return 0, err
	}
	if len(targets) != rows {
		return 0, fmt.Errorf("gpt_neox: %d targets for batch %d × seq %d", len(targets), batch, seq)
	}
	count, err := nn.CountTargets(targets, seq, c.VocabSize)
	if err != nil {
		return 0, fmt.Errorf("gpt_neox: %w", err)
	}
	g, err := m.gradModel(grads)
	if err != nil {
		return 0, err
	}
	m.trainForward(tokens, batch, seq)
	m.growGrads(batch, seq)
	tb := &m.trainBufs
	// logits = lnf·E_outᵀ, the loss, dlnf = dlogits·E_out and dE_out +=
	// dlogitsᵀ·lnf, a chunk of rows at a time (head.go); under autocast the
	// float32 CE's gradient re-enters the half logits rounded.
	sum := nn.LMHeadLoss(&m.embedOut, tb.dln, g.embedOut.Weight, tb.lnf, targets, seed/float32(count), &tb.logits)
	m.backward(g, tokens, batch, seq)
	return sum / float64(count), nil
}

// gradModel returns a Model whose parameter slices are the gradients in
// grads, so that the name table (names.go) lines them up with the weights;
// for grads nil, the frozen base's (frozenGrads).
func (m *Model) gradModel(grads []model.Param) (*Model, error) {
	if grads == nil {
		return m.frozenGrads(), nil
	}
	g := &Model{Config: m.Config, layers: make([]layer, len(m.layers))}
	want := m.Params()
	if len(grads) != len(want) {
		return nil, fmt.Errorf("gpt_neox: %d gradient tensors, want %d (use NewGrads)", len(grads), len(want))
	}
	byName := make(map[string]*[]float32, len(want))
	for _, t := range g.tensors() {
		byName[t.name] = t.dst
	}
	for i, p := range want {
		if grads[i].Name != p.Name || !slices.Equal(grads[i].Shape, p.Shape) || len(grads[i].Data) != len(p.Data) {
			return nil, fmt.Errorf("gpt_neox: gradient %d is %s %v with %d values, want %s %v", i, grads[i].Name, grads[i].Shape, len(grads[i].Data), p.Name, p.Shape)
		}
		*byName[p.Name] = grads[i].Data
	}
	if g.embedOut.Weight == nil { // tied: E_out's gradient accumulates into E_in's
		g.embedOut.Weight = g.embedIn.Weight
	}
	return g, nil
}

// frozenGrads returns the gradient model of a frozen base: every Linear's
// and table's gradient is nil, so nn.Linear.Backward and
// nn.Embedding.Backward skip it, and every LayerNorm's weight and bias
// gradient is one shared (hidden) scratch pair whose contents are never
// read. It is built once per Model.
func (m *Model) frozenGrads() *Model {
	tb := &m.trainBufs
	if tb.frozen != nil && len(tb.frozen.layers) == len(m.layers) {
		return tb.frozen
	}
	h := m.Config.HiddenSize
	scratch := nn.LayerNorm{Weight: make([]float32, h), Bias: make([]float32, h), Dim: h}
	g := &Model{Config: m.Config, layers: make([]layer, len(m.layers)), finalLN: scratch}
	for i := range g.layers {
		g.layers[i].ln1, g.layers[i].ln2 = scratch, scratch
	}
	tb.frozen = g
	return g
}

// trainForward is forward without a cache and without the head (nn.LMHeadLoss
// runs it by chunks), keeping every layer's activations and the final
// LayerNorm's output and statistics for backward.
func (m *Model) trainForward(tokens []int32, batch, seq int) {
	c, tb := m.Config, &m.trainBufs
	rows, h := batch*seq, c.HiddenSize
	m.act.x = grow(m.act.x, rows*h)
	if len(tb.layers) != len(m.layers) || tb.cast != m.cast {
		tb.layers, tb.cast = make([]layerActs, len(m.layers)), m.cast
	}
	m.embed(tokens, batch, seq)
	tb.work.sizeWork(c, batch, seq, m.cast)
	for i := range m.layers {
		la := &tb.layers[i]
		la.sizeTrain(c, batch, seq, m.cast, &tb.work)
		m.block(i, la, la.k, la.v, batch, seq, 0, seq)
		la.pack(m.cast)
	}
	tb.lnf, tb.meanF, tb.rstd = grow(tb.lnf, rows*h), grow(tb.meanF, rows), grow(tb.rstd, rows)
	m.finalLN.Forward(tb.lnf, tb.meanF, tb.rstd, m.act.x, rows)
	m.trace(-1, "final_layer_norm_out", tb.lnf, batch, seq, h)
}

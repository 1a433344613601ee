package mamba

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// NewGrads returns zeroed gradients with the names, shapes and order of
// Params, for LossAndGrad to accumulate into. A tied LM head is not in
// Params; its gradient is added into the embedding's, as torch does for the
// shared tensor and as the fixtures store it. So Params()[i] and NewGrads()[i]
// pair each weight with its gradient, each tensor once.
func (m *Model) NewGrads() []model.Param {
	ps := m.Params()
	for i := range ps {
		ps[i].Data = make([]float32, len(ps[i].Data))
	}
	return ps
}

// LossAndGrad runs tokens (batch, seq) forward from a zero state and backward
// (in float32, or under the autocast format of SetPrecision) and returns the
// mean next-token cross-entropy over the batch·(seq−1) predictions (HF's loss
// with labels = input_ids). The gradient of that loss with respect to every
// parameter is added to grads (see NewGrads); grads == nil means a frozen
// base, as for LossAndGradTargets. It is LossAndGradTargets with the tokens
// shifted by one as targets, the last position of each sequence ignored, and
// seed 1.
func (m *Model) LossAndGrad(tokens []int32, batch, seq int, grads []model.Param) (float64, error) {
	if seq < 2 {
		return 0, fmt.Errorf("mamba: LossAndGrad needs seq ≥ 2 to have a next token, got %d", seq)
	}
	if batch <= 0 || len(tokens) != batch*seq {
		return 0, fmt.Errorf("mamba: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	targets := make([]int32, batch*seq)
	nn.NextTokenTargets(targets, tokens, seq)
	return m.LossAndGradTargets(tokens, targets, batch, seq, 1, grads)
}

// LossAndGradTargets runs tokens (batch, seq) forward from a zero state and
// backward (in float32, or under the autocast format of SetPrecision) and
// returns the mean cross-entropy between the logits at each position and the
// target at that position, targets (batch, seq) being already shifted
// (dataset.Batch's contract), over the N targets that are not nn.IgnoreIndex
// (−100): PyTorch's F.cross_entropy(logits, targets, ignore_index=-100). It adds seed·∂loss/∂p to grads (see NewGrads):
//
//	dlogits_r = (seed/N)·(softmax(logits_r) − onehot(targets_r))     zero where ignored
//
// so a trainer folds the 1/GradAccum of gradient accumulation and a loss
// scale into seed. The returned loss does not include seed. It first
// recomputes A = −exp(A_log) (Refresh), so an optimiser may update the
// parameters in place between calls. Errors name a token or target outside
// the vocabulary, a length that is not batch·seq, a gradient list that is
// not NewGrads', and a batch whose targets are all ignored; grads are
// untouched on error.
//
// grads == nil means the base model is frozen: no gradient of the model's
// own parameters is computed (the weight-gradient products of every Linear,
// the embedding and LM-head tables, the biases and A_log's are skipped; the
// per-channel ones the kernels write anyway go to scratch and are dropped),
// but the activation gradients still run all the way down, so LoRA adapters
// attached through Modules with Train set accumulate their GradA and GradB
// (seed·∂loss/∂A and seed·∂loss/∂B), as they do when grads is not nil.
func (m *Model) LossAndGradTargets(tokens, targets []int32, batch, seq int, seed float32, grads []model.Param) (float64, error) {
	if _, err := m.checkInput(tokens, batch, seq, nil); err != nil {
		return 0, err
	}
	if len(targets) != batch*seq {
		return 0, fmt.Errorf("mamba: %d targets for batch %d × seq %d", len(targets), batch, seq)
	}
	count, err := nn.CountTargets(targets, seq, m.cfg.VocabSize)
	if err != nil {
		return 0, fmt.Errorf("mamba: %w", err)
	}
	var g *gradTensors
	if grads != nil {
		if g, err = m.gradTensors(grads); err != nil {
			return 0, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if g == nil {
		g = m.frozenGrads()
	}
	m.Refresh()
	m.aStale = true // the caller's optimiser updates A_log next
	tb := m.trainForward(tokens, batch, seq)
	// logits = n_f·Wᵀ, the loss and dn_f (rows, DModel) = dlogits·W, dW += dlogitsᵀ·n_f
	// (into dE when tied), a chunk of rows at a time (head.go). Under autocast
	// the logits are half: the Linear's products round dlogits where it enters them.
	sum := nn.LMHeadLoss(&m.lmHead, tb.dnormed, g.lmHead, tb.normed, targets, seed/float32(count), &tb.logits)
	m.backward(g, tb, tokens)
	return sum / float64(count), nil
}

// blockGrads are one layer's gradient slices, laid out like its weights;
// nil where the config has no such tensor.
type blockGrads struct {
	norm                 []float32 // (DModel)
	inProj, inProjBias   []float32 // (2·DInner, DModel), (2·DInner)
	conv, convBias       []float32 // (DInner, 1, DConv), (DInner)
	xProj                []float32 // (R+2N, DInner)
	dtProj, dtProjBias   []float32 // (DInner, R), (DInner)
	aLog, d              []float32 // (DInner, N), (DInner)
	outProj, outProjBias []float32 // (DModel, DInner), (DModel)
}

// gradTensors are the gradient slices of one LossAndGrad call.
type gradTensors struct {
	embedding []float32 // (PaddedVocab, DModel)
	lmHead    []float32 // (PaddedVocab, DModel); embedding itself when tied
	normF     []float32 // (DModel)
	blocks    []blockGrads
}

// frozenGrads returns the gradTensors of a frozen-base call: nil for every
// weight matrix, bias, table and A_log, so their gradients are skipped, and
// zeroed scratch, shared by all layers and discarded, for the per-channel
// gradients that nn's backward kernels always write (norm weights, conv
// weight and bias, D, δ_bias). The scratch is allocated on first use.
func (m *Model) frozenGrads() *gradTensors {
	if m.frozen == nil {
		c := m.cfg
		f := func(n int) []float32 { return make([]float32, n) }
		b := blockGrads{norm: f(c.DModel), conv: f(c.DInner * c.DConv), d: f(c.DInner), dtProjBias: f(c.DInner)}
		if c.ConvBias {
			b.convBias = f(c.DInner)
		}
		m.frozen = &gradTensors{normF: f(c.DModel), blocks: make([]blockGrads, len(m.layers))}
		for i := range m.frozen.blocks {
			m.frozen.blocks[i] = b
		}
	}
	b := m.frozen.blocks[0]
	for _, s := range [][]float32{m.frozen.normF, b.norm, b.conv, b.convBias, b.d, b.dtProjBias} {
		clear(s)
	}
	return m.frozen
}

// gradTensors checks grads against NewGrads' list and points a gradTensors
// at it through the name table (names.go).
func (m *Model) gradTensors(grads []model.Param) (*gradTensors, error) {
	want := m.Params()
	if len(grads) != len(want) {
		return nil, fmt.Errorf("mamba: %d gradient tensors, want %d (use NewGrads)", len(grads), len(want))
	}
	byName := make(map[string][]float32, len(want))
	for i, p := range want {
		if grads[i].Name != p.Name || !slices.Equal(grads[i].Shape, p.Shape) || len(grads[i].Data) != len(p.Data) {
			return nil, fmt.Errorf("mamba: gradient %d is %s %v with %d values, want %s %v", i, grads[i].Name, grads[i].Shape, len(grads[i].Data), p.Name, p.Shape)
		}
		byName[p.Name] = grads[i].Data
	}
	g := &gradTensors{embedding: byName[nameEmbedding[1]], normF: byName[nameNormF[0]], blocks: make([]blockGrads, len(m.layers))}
	g.lmHead = g.embedding
	if !m.cfg.TieEmbeddings {
		g.lmHead = byName[nameLMHead[0]]
	}
	for i := range g.blocks {
		get := func(rel string) []float32 { return byName[layerName(i, rel)[0]] }
		g.blocks[i] = blockGrads{
			norm:   get(nameNorm),
			inProj: get(nameInProj), inProjBias: get(nameInProjB),
			conv: get(nameConv), convBias: get(nameConvB),
			xProj:  get(nameXProj),
			dtProj: get(nameDtProj), dtProjBias: get(nameDtProjB),
			aLog: get(nameALog), d: get(nameD),
			outProj: get(nameOutProj), outProjBias: get(nameOutProjB),
		}
	}
	return g, nil
}

// trainBuffers are LossAndGrad's activations, one set per layer, and its
// gradient scratch, for one (batch, seq) shape and autocast format; a call of
// another shape or format replaces them. Under autocast the gradients of half
// tensors hold half values: dy, du, duX, ddelta, dxdbl, ddtLow and dxz
// (dy is overwritten by the float32 gradient of the ungated scan output).
type trainBuffers struct {
	batch, seq     int
	cast           nn.Autocast   // the format they were made for: autocast keeps yPre per layer
	layers         []activations // layer i's: resid is its input, hidden its norm output
	work           activations   // the buffers the layers share (see activations)
	resid          []float32     // the last block's output: (batch, seq, DModel)
	normed         []float32     // norm_f output: (batch, seq, DModel)
	rstd           []float32     // norm_f's 1/rms: (batch, seq)
	mixOut         []float32     // one mixer's output, not kept: (batch, seq, DModel)
	logits         []float32     // one chunk of logits, then their gradient (nn.LMHeadLoss): (≤ nn.LMHeadChunkRows, PaddedVocab)
	dres           []float32     // ∂loss/∂residual stream: (batch, seq, DModel)
	dnormed, dnorm []float32     // ∂loss/∂(norm output), ∂loss/∂(norm input): (batch, seq, DModel)
	dy             []float32     // ∂loss/∂(gated scan output): (batch, seq, DInner)
	du, duX        []float32     // ∂loss/∂u from the scan (then the total, then ∂/∂conv), from x_proj: (batch, seq, DInner)
	ddelta         []float32     // ∂loss/∂δ before bias and softplus: (batch, seq, DInner)
	dxdbl          []float32     // ∂loss/∂[δ_low | B | C]: (batch, seq, R+2N)
	ddtLow         []float32     // ∂loss/∂δ_low, packed: (batch, seq, R)
	dxz            []float32     // ∂loss/∂[x | z]: (batch, seq, 2·DInner)
	dA             []float32     // ∂loss/∂A of one layer: (DInner, N)
}

// trainBuffers returns the buffers for (batch, seq), reusing the last ones
// when the shape is the same.
func (m *Model) trainBuffers(batch, seq int) *trainBuffers {
	if tb := m.train; tb != nil && tb.batch == batch && tb.seq == seq && tb.cast == m.cast {
		return tb
	}
	c := m.cfg
	rows, d, di := batch*seq, c.DModel, c.DInner
	f := func(n int) []float32 { return make([]float32, n) }
	tb := &trainBuffers{
		batch: batch, seq: seq, cast: m.cast, layers: make([]activations, c.NLayer),
		work:   newActivations(c, rows),
		normed: f(rows * d), rstd: f(rows), mixOut: f(rows * d),
		dres: f(rows * d), dnormed: f(rows * d), dnorm: f(rows * d),
		dy: f(rows * di), du: f(rows * di), duX: f(rows * di), ddelta: f(rows * di),
		dxdbl: f(rows * (c.DtRank + 2*c.DState)), ddtLow: f(rows * c.DtRank), dxz: f(rows * 2 * di), dA: f(di * c.DState),
	}
	tb.work.convPre = f(rows * di) // SiLU's backward reads it: not u's alias here
	tb.resid = tb.work.resid       // unused by the layers, which keep their own
	for i := range tb.layers {
		tb.layers[i] = newLayerActivations(c, rows, tb.work, m.cast)
	}
	m.train = tb
	return tb
}

// trainForward is Forward from a zero state without tracing and without the
// LM head (nn.LMHeadLoss runs it by chunks), keeping every layer's activations and
// the norms' 1/rms for backward. The arithmetic is Forward's, so the logits
// nn.LMHeadLoss computes are equal to Forward's.
func (m *Model) trainForward(tokens []int32, batch, seq int) *trainBuffers {
	tb := m.trainBuffers(batch, seq)
	rows := batch * seq
	x := tb.resid
	if len(tb.layers) > 0 {
		x = tb.layers[0].resid
	}
	if err := m.embed.Forward(x, tokens); err != nil { // the tokens were checked
		panic(err)
	}
	for i := range m.layers {
		l, a := &m.layers[i], &tb.layers[i]
		// h = RMSNorm(resid), saving 1/rms
		l.norm.Forward(a.hidden, a.rstd, a.resid, rows)
		l.mixer.forward(tb.mixOut, a.hidden, a, batch, seq, nil, nil)
		a.pack(m.cast)
		// next block's input = resid + Mixer(h), in float32 (residual_in_fp32)
		next := tb.resid
		if i+1 < len(tb.layers) {
			next = tb.layers[i+1].resid
		}
		for j, v := range tb.mixOut {
			next[j] = a.resid[j] + v
		}
	}
	m.normF.Forward(tb.normed, tb.rstd, tb.resid, rows)
	return tb
}

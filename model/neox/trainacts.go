package neox

import "github.com/steady-ml/steady/nn"

// A training forward keeps, per layer, what the backward reads and cannot
// cheaply recompute: the block input xIn, the LayerNorms' row statistics,
// the rotated q and k, mid (sequential residual), and v, probs, ctx, pre
// and h4: in float32 or, under autocast, packed into their 16-bit
// encodings (all five are outputs of half ops, so the round trip is exact),
// which is how torch autocast keeps half tensors for backward. One work set
// of buffers is shared by the layers: ln1 and ln2, recomputed from xIn and
// mid for each layer's backward; qkv, attnOut and mlpOut, which the backward
// does not read; and under autocast the float32 slices of the packed five,
// into which each layer's backward unpacks them.

// sizeWork (re)slices the shared training buffers for batch·seq tokens;
// under autocast it also sizes v, probs, ctx, pre and h4.
func (w *layerActs) sizeWork(c Config, batch, seq int, cast nn.Autocast) {
	rows, h := batch*seq, c.HiddenSize
	w.ln1, w.ln2 = grow(w.ln1, rows*h), grow(w.ln2, rows*h)
	w.qkv = grow(w.qkv, rows*3*h)
	w.attnOut, w.mlpOut = grow(w.attnOut, rows*h), grow(w.mlpOut, rows*h)
	if cast != nn.AutocastOff {
		w.sizeHalf(c, batch, seq)
	}
}

// sizeHalf (re)slices v, probs, ctx, pre and h4 for batch·seq tokens.
func (la *layerActs) sizeHalf(c Config, batch, seq int) {
	rows, h := batch*seq, c.HiddenSize
	la.v, la.ctx = grow(la.v, rows*h), grow(la.ctx, rows*h)
	la.probs = grow(la.probs, batch*c.NumAttentionHeads*seq*seq)
	la.pre, la.h4 = grow(la.pre, rows*c.IntermediateSize), grow(la.h4, rows*c.IntermediateSize)
}

// sizeTrain (re)slices one layer's training activations for batch·seq
// tokens, taking the shared ones from work (sized by sizeWork for cast).
// A layer's buffers must not be reused across a change of cast: under
// autocast its v..h4 are work's (trainForward starts afresh then).
func (la *layerActs) sizeTrain(c Config, batch, seq int, cast nn.Autocast, work *layerActs) {
	rows, h := batch*seq, c.HiddenSize
	la.xIn = grow(la.xIn, rows*h)
	la.mean1, la.rstd1 = grow(la.mean1, rows), grow(la.rstd1, rows)
	la.mean2, la.rstd2 = grow(la.mean2, rows), grow(la.rstd2, rows)
	la.q, la.k = grow(la.q, rows*h), grow(la.k, rows*h)
	if !c.UseParallelResidual {
		la.mid = grow(la.mid, rows*h)
	}
	la.ln1, la.ln2 = work.ln1, work.ln2
	la.qkv, la.attnOut, la.mlpOut = work.qkv, work.attnOut, work.mlpOut
	if cast == nn.AutocastOff {
		la.sizeHalf(c, batch, seq)
		return
	}
	la.v, la.probs, la.ctx, la.pre, la.h4 = work.v, work.probs, work.ctx, work.pre, work.h4
	if la.packed == nil {
		la.packed = new(nn.Packed)
	}
}

// pack stores the layer's half activations after its forward (a no-op
// outside autocast training).
func (la *layerActs) pack(cast nn.Autocast) {
	if la.packed != nil {
		la.packed.Store(cast, la.v, la.probs, la.ctx, la.pre, la.h4)
	}
}

// restore brings back, before the layer's backward, what its forward
// computed into the shared buffers: the packed half activations, and
// ln1 = LN₁(xIn) and ln2 = LN₂(mlpIn), recomputed (the saved statistics are
// unchanged, and so is the arithmetic).
func (la *layerActs) restore(l *layer, mlpIn []float32, rows int) {
	if la.packed != nil {
		la.packed.Load(la.v, la.probs, la.ctx, la.pre, la.h4)
	}
	l.ln1.Forward(la.ln1, nil, nil, la.xIn, rows)
	l.ln2.Forward(la.ln2, nil, nil, mlpIn, rows)
}

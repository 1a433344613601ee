package mamba

import "github.com/steady-ml/steady/nn"

// activations are the forward buffers. Forward keeps one set, shared by all
// layers and grown to the largest batch·seq seen, so repeated calls allocate
// nothing but the logits; there convPre aliases u (SiLU runs in place) and
// rstd and yPre are nil.
//
// LossAndGrad keeps one set per layer (newLayerActivations), holding what
// its backward reads: the block input resid and the norm's rstd of its own,
// and xz, xdbl, δ and y, of its own in float32 or, under autocast, packed
// into their 16-bit encodings (packed; the half values round-trip exactly),
// with yPre. All other buffers are one set shared by the layers (the
// trainBuffers' work set): hidden, convPre, u and dtLow are recomputed for
// each layer's backward (an RMSNorm, the depthwise conv, a SiLU and a copy:
// cheap next to what storing them costs), and under autocast xz, xdbl, δ
// and y are unpacked into the shared float32 slices there. Storing half
// activations as half is what makes autocast save activation memory, as
// torch autocast does by keeping the half tensors for backward.
//
// Precision: all are float32 slices. Under autocast (Model.SetPrecision) the
// outputs of half ops hold half values: xz, convPre, u, xdbl, dtLow, delta
// and y; resid, hidden, rstd and yPre are true float32.
type activations struct {
	rows    int       // capacity in rows (batch·seq)
	resid   []float32 // residual stream (training: the block's input): (rows, DModel)
	hidden  []float32 // norm output / mixer output (training: norm output only, shared): (rows, DModel)
	rstd    []float32 // the block norm's 1/rms, training only: (rows)
	xz      []float32 // in_proj output [x | z]: (rows, 2·DInner)
	convPre []float32 // conv1d output before SiLU (training: shared): (rows, DInner); u outside training
	u       []float32 // SiLU(conv1d(x)) (training: shared): (rows, DInner)
	xdbl    []float32 // x_proj output [δ_low | B | C]: (rows, R+2N)
	dtLow   []float32 // δ_low, xdbl's first R columns packed for dt_proj (training: shared): (rows, R)
	delta   []float32 // dt_proj output before bias: (rows, DInner)
	y       []float32 // scan output, gated: (rows, DInner)
	// yPre is the scan output before the gate, y + D·u, float32: (rows,
	// DInner); kept by training under autocast only, where the gate is a
	// separate op (mixer.gate), else nil.
	yPre []float32
	// packed holds the layer's xz, xdbl, δ and y in the autocast format
	// while training under autocast (xz, xdbl, delta and y are then the
	// shared work slices); nil otherwise.
	packed *nn.Packed
}

// ensure grows the buffers to hold rows rows.
func (a *activations) ensure(c Config, rows int) {
	if rows <= a.rows {
		return
	}
	*a = newActivations(c, rows)
}

// newActivations allocates Forward's buffers for rows rows, convPre
// aliasing u.
func newActivations(c Config, rows int) activations {
	f := func(n int) []float32 { return make([]float32, n) }
	a := activations{
		rows:   rows,
		resid:  f(rows * c.DModel),
		hidden: f(rows * c.DModel),
		xz:     f(rows * 2 * c.DInner),
		u:      f(rows * c.DInner),
		xdbl:   f(rows * (c.DtRank + 2*c.DState)),
		dtLow:  f(rows * c.DtRank),
		delta:  f(rows * c.DInner),
		y:      f(rows * c.DInner),
	}
	a.convPre = a.u
	return a
}

// newLayerActivations returns one layer's training activations for rows
// rows: work's shared buffers, with resid and rstd of its own and xz, xdbl,
// δ and y of its own, in float32 or, under autocast, packed (with yPre).
func newLayerActivations(c Config, rows int, work activations, cast nn.Autocast) activations {
	f := func(n int) []float32 { return make([]float32, n) }
	a := work
	a.resid, a.rstd = f(rows*c.DModel), f(rows)
	nd := rows * c.DInner
	if cast == nn.AutocastOff {
		a.xz, a.xdbl, a.delta, a.y = f(2*nd), f(rows*(c.DtRank+2*c.DState)), f(nd), f(nd)
		return a
	}
	a.yPre, a.packed = f(nd), new(nn.Packed)
	return a
}

// pack stores the layer's half activations after its forward (a no-op
// outside autocast training).
func (a *activations) pack(cast nn.Autocast) {
	if a.packed != nil {
		a.packed.Store(cast, a.xz, a.xdbl, a.delta, a.y)
	}
}

// unpack restores what pack stored into the shared float32 slices before
// the layer's backward.
func (a *activations) unpack() {
	if a.packed != nil {
		a.packed.Load(a.xz, a.xdbl, a.delta, a.y)
	}
}

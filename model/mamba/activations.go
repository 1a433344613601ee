package mamba

// activations are the forward buffers. Forward keeps one set, shared by all
// layers and grown to the largest batch·seq seen, so repeated calls allocate
// nothing but the logits; there convPre aliases u (SiLU runs in place) and
// rstd and yPre are nil. LossAndGrad keeps one set per layer with convPre and
// rstd of their own (and yPre under autocast), which is what the backward
// reads, except hidden and u: those two are cheap to recompute (an RMSNorm
// and a SiLU), so all layers share one pair of buffers and the backward
// recomputes them (see train.go).
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
	convPre []float32 // conv1d output before SiLU: (rows, DInner); u outside training
	u       []float32 // SiLU(conv1d(x)) (training: shared): (rows, DInner)
	xdbl    []float32 // x_proj output [δ_low | B | C]: (rows, R+2N)
	dtLow   []float32 // δ_low, xdbl's first R columns packed for dt_proj: (rows, R)
	delta   []float32 // dt_proj output before bias: (rows, DInner)
	y       []float32 // scan output, gated: (rows, DInner)
	// yPre is the scan output before the gate, y + D·u, float32: (rows,
	// DInner); kept by training under autocast only, where the gate is a
	// separate op (mixer.gate), else nil.
	yPre []float32
}

// ensure grows the buffers to hold rows rows.
func (a *activations) ensure(c Config, rows int) {
	if rows <= a.rows {
		return
	}
	*a = newActivations(c, rows, false, false)
}

// newActivations allocates the buffers for rows rows; with train set,
// convPre and rstd get storage of their own and hidden and u are left nil
// for the caller to share between layers, and with keepPre yPre does.
func newActivations(c Config, rows int, train, keepPre bool) activations {
	f := func(n int) []float32 { return make([]float32, n) }
	a := activations{
		rows:  rows,
		resid: f(rows * c.DModel),
		xz:    f(rows * 2 * c.DInner),
		xdbl:  f(rows * (c.DtRank + 2*c.DState)),
		dtLow: f(rows * c.DtRank),
		delta: f(rows * c.DInner),
		y:     f(rows * c.DInner),
	}
	if train {
		a.convPre = f(rows * c.DInner)
		a.rstd = f(rows)
	} else {
		a.hidden, a.u = f(rows*c.DModel), f(rows*c.DInner)
		a.convPre = a.u
	}
	if keepPre {
		a.yPre = f(rows * c.DInner)
	}
	return a
}

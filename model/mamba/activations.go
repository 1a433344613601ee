package mamba

// activations are the forward buffers. Forward keeps one set, shared by all
// layers and grown to the largest batch·seq seen, so repeated calls allocate
// nothing but the logits; there convPre aliases u (SiLU runs in place) and
// rstd is nil. LossAndGrad keeps one set per layer with convPre and rstd of
// their own, which is what the backward reads (see train.go). All are float32.
type activations struct {
	rows    int       // capacity in rows (batch·seq)
	resid   []float32 // residual stream (training: the block's input): (rows, DModel)
	hidden  []float32 // norm output / mixer output (training: norm output only): (rows, DModel)
	rstd    []float32 // the block norm's 1/rms, training only: (rows)
	xz      []float32 // in_proj output [x | z]: (rows, 2·DInner)
	convPre []float32 // conv1d output before SiLU: (rows, DInner); u outside training
	u       []float32 // SiLU(conv1d(x)): (rows, DInner)
	xdbl    []float32 // x_proj output [δ_low | B | C]: (rows, R+2N)
	delta   []float32 // dt_proj output before bias: (rows, DInner)
	y       []float32 // scan output, gated: (rows, DInner)
}

// ensure grows the buffers to hold rows rows.
func (a *activations) ensure(c Config, rows int) {
	if rows <= a.rows {
		return
	}
	*a = newActivations(c, rows, false)
}

// newActivations allocates the buffers for rows rows; with train set,
// convPre and rstd get storage of their own.
func newActivations(c Config, rows int, train bool) activations {
	f := func(n int) []float32 { return make([]float32, n) }
	a := activations{
		rows:   rows,
		resid:  f(rows * c.DModel),
		hidden: f(rows * c.DModel),
		xz:     f(rows * 2 * c.DInner),
		u:      f(rows * c.DInner),
		xdbl:   f(rows * (c.DtRank + 2*c.DState)),
		delta:  f(rows * c.DInner),
		y:      f(rows * c.DInner),
	}
	a.convPre = a.u
	if train {
		a.convPre = f(rows * c.DInner)
		a.rstd = f(rows)
	}
	return a
}

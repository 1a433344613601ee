package mamba

// activations are the forward buffers, shared by all layers and grown to the
// largest batch·seq seen, so repeated calls allocate nothing but the logits.
// All are float32.
type activations struct {
	rows   int       // capacity in rows (batch·seq)
	resid  []float32 // residual stream: (rows, DModel)
	hidden []float32 // norm output / mixer output: (rows, DModel)
	xz     []float32 // in_proj output [x | z]: (rows, 2·DInner)
	u      []float32 // SiLU(conv1d(x)): (rows, DInner)
	xdbl   []float32 // x_proj output [δ_low | B | C]: (rows, R+2N)
	delta  []float32 // dt_proj output before bias: (rows, DInner)
	y      []float32 // scan output, gated: (rows, DInner)
}

// ensure grows the buffers to hold rows rows.
func (a *activations) ensure(c Config, rows int) {
	if rows <= a.rows {
		return
	}
	a.rows = rows
	a.resid = make([]float32, rows*c.DModel)
	a.hidden = make([]float32, rows*c.DModel)
	a.xz = make([]float32, rows*2*c.DInner)
	a.u = make([]float32, rows*c.DInner)
	a.xdbl = make([]float32, rows*(c.DtRank+2*c.DState))
	a.delta = make([]float32, rows*c.DInner)
	a.y = make([]float32, rows*c.DInner)
}

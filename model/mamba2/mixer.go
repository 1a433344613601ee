package mamba2

import (
	"math"

	"github.com/steady-ml/steady/nn"
)

// Mixer is the Mamba-2 mixer (mamba_ssm modules/mamba2.py Mamba2, the
// non-fused path with d_ssm = d_inner and no MLP). For input u (rows, D):
//
//	[z | xBC | dt] = u·W_inᵀ (+ b_in)                     split 2·d_inner + 2·G·N + H
//	xBC = SiLU(causal_conv1d(xBC) + b_conv)               depthwise, width W
//	[x | B | C] = xBC                                     x: (H, P), B, C: (G, N)
//	Δ = clamp(softplus(dt + dt_bias), dt_limit);  A = −exp(A_log)
//	y = SSD(x, Δ, A, B, C) + D·x                          nn.SSDChunked / nn.SSDRecurrent
//	y = RMSNorm_group(y ⊙ SiLU(z))·γ                      norm_before_gate = false
//	out = y·W_outᵀ (+ b_out)
//
// Precision: every parameter is a float32 master value (A_log, D and
// dt_bias are used in float32 in every mode, as mamba_ssm keeps them); the
// SSM state is float32. Under autocast (Model.SetPrecision; torch CPU
// autocast as shared/fixtures/README.md traces it for Mamba-2, in its clean
// variant) these tensors are half, each computed in float32 from half
// operands and rounded once: z, xBC and dt (in_proj), the conv output (its
// weight and bias rounded too), xBC after SiLU, the SSD output y, the gated
// norm's output and out_proj's output. The SSD itself runs in float32 on its
// half inputs (mamba_ssm's fused kernel; the README's clean point 2), and so
// do softplus, Δ·A and the gated norm inside. The backward rounds the
// gradient of each half tensor once where it is produced.
type Mixer struct {
	InProj  nn.Linear       // W_in: (DInProj, DModel), mixer.in_proj
	Conv    nn.CausalConv1d // (ConvDim, DConv), mixer.conv1d
	DtBias  []float32       // dt_bias: (H)
	ALog    []float32       // A_log: (H); A = −exp(A_log) is recomputed each call so updates to A_log take effect
	D       []float32       // D: (H), or (DInner) when D_has_hdim
	Norm    nn.GatedRMSNorm // γ: (DInner), mixer.norm; unused when the config has rmsnorm = false
	OutProj nn.Linear       // W_out: (DModel, DInner), mixer.out_proj
	cfg     Config
	cast    nn.Autocast // the autocast format (Model.SetPrecision); InProj and OutProj carry it too
	convW   []float32   // under autocast: Conv.Weight rounded, refreshed by castConv: (ConvDim, DConv)
	convB   []float32   // under autocast: Conv.Bias rounded: (ConvDim)
}

// newBlock checks one block's tensors and assembles it.
func newBlock(c Config, w blockWeights) (Block, error) {
	var b Block
	var err error
	if b.Norm, err = nn.NewRMSNorm(w.norm, c.NormEps); err != nil {
		return b, err
	}
	mx := &b.Mixer
	mx.cfg, mx.DtBias, mx.ALog, mx.D = c, w.dtBias, w.aLog, w.d
	if mx.InProj, err = nn.NewLinear(w.inProj, w.inProjBias, c.DModel, c.DInProj()); err != nil {
		return b, err
	}
	if mx.Conv, err = nn.NewCausalConv1d(w.convWeight, w.convBias, c.ConvDim(), c.DConv); err != nil {
		return b, err
	}
	if c.GatedNorm {
		// group_size = d_inner / ngroups (Mamba2.__init__)
		if mx.Norm, err = nn.NewGatedRMSNorm(w.gatedNorm, c.DInner()/c.NGroups, c.GatedNormEps, c.NormBeforeGate); err != nil {
			return b, err
		}
	}
	if mx.OutProj, err = nn.NewLinear(w.outProj, w.outProjBias, c.DInner(), c.DModel); err != nil {
		return b, err
	}
	return b, nil
}

// forward runs the mixer on a.normed (rows, DModel) into a.mixOut (rows,
// DModel). convState (batch, ConvDim, DConv) and ssm (batch, H, P, N) are the
// layer's decode states, both nil without a State: the past is then zero.
// Under autocast each half output is rounded once where it is produced
// (R = round to the format, a no-op in float32).
func (mx *Mixer) forward(a *activations, ws *nn.SSDWorkspace, convState, ssm []float32) {
	c := mx.cfg
	batch, seq := a.batch, a.seq
	rows := batch * seq
	dI, gn, H, cd, dp := c.DInner(), c.NGroups*c.DState, c.NHeads(), c.ConvDim(), c.DInProj()
	// zxbcdt (rows, DInProj) = R(u·W_inᵀ), columns [z dI | x dI | B gn | C gn | dt H]
	mx.InProj.Forward(a.zxbcdt, a.normed, rows)
	// xBC = R(SiLU(R(conv1d(xBC) + b))): read from zxbcdt's columns dI…dI+cd, the
	// conv's weight and bias rounded under autocast (torch autocast conv1d);
	// convPre keeps the conv output for SiLU's backward (training only)
	mx.castConv().Forward(a.convPre, cd, a.zxbcdt[dI:], dp, batch, seq, convState)
	mx.cast.Round(a.convPre[:rows*cd])
	nn.SiLU(a.xbc[:rows*cd], a.convPre[:rows*cd])
	mx.cast.Round(a.xbc[:rows*cd])
	// A = −exp(A_log), in float32 (mamba_ssm: -torch.exp(self.A_log.float()))
	for h, v := range mx.ALog {
		a.aNeg[h] = -float32(math.Exp(float64(v)))
	}
	// Δ = clamp(softplus(dt + dt_bias), dt_limit); Δ·A is the step's log-decay
	lo, hi := float32(c.DtLimit[0]), float32(c.DtLimit[1])
	for r := 0; r < rows; r++ {
		dt := a.zxbcdt[r*dp+2*dI+2*gn : r*dp+dp]
		for h, v := range dt {
			d := min(max(nn.SoftplusScalar(v+mx.DtBias[h]), lo), hi)
			a.dt[r*H+h] = d
			a.dA[r*H+h] = d * a.aNeg[h]
		}
	}
	if ssm == nil {
		ssm = a.ssmZero
		clear(ssm)
	}
	// y = R(SSD(x, Δ, A, B, C) + D·x), the SSD in float32 on the half inputs
	in, dims := mx.ssdArgs(a)
	if seq == 1 {
		nn.SSDRecurrent(a.y, ssm, in, dims)
	} else {
		nn.SSDChunked(a.y, ssm, in, dims, ws)
	}
	mx.cast.Round(a.y[:rows*dI])
	// yGated = R(RMSNorm_group(y ⊙ SiLU(z))·γ), z from zxbcdt's first dI
	// columns, in float32 inside (rms_norm_ref upcasts); in place outside
	// training (yGated is y), saving 1/rms when training
	if c.GatedNorm {
		mx.Norm.Forward(a.yGated, a.rstdGated, a.y, dI, a.zxbcdt, dp, rows)
		mx.cast.Round(a.yGated[:rows*dI])
	} else {
		mx.gate(a)
	}
	// out = R(yGated·W_outᵀ (+ b_out))
	mx.OutProj.Forward(a.mixOut, a.yGated, rows)
}

// gate is the mixer's output gate without the gated norm, yGated = y ⊙
// SiLU(z): in float32, or under autocast R(y ⊙ R(SiLU(z))), the SiLU of a
// half z and the product of two half tensors each rounded once.
func (mx *Mixer) gate(a *activations) {
	c := mx.cfg
	rows, dI, dp := a.batch*a.seq, c.DInner(), c.DInProj()
	buf := nn.GetScratch(dI)
	defer nn.PutScratch(buf)
	sz := *buf // R(SiLU(z)) of one row
	for r := 0; r < rows; r++ {
		yr, yg, z := a.y[r*dI:(r+1)*dI], a.yGated[r*dI:(r+1)*dI], a.zxbcdt[r*dp:r*dp+dI]
		if mx.cast == nn.AutocastOff {
			for i := range yr {
				yg[i] = yr[i] * nn.SiLUScalar(z[i])
			}
			continue
		}
		for i, v := range z {
			sz[i] = nn.SiLUScalar(v)
		}
		mx.cast.Round(sz)
		for i, v := range yr {
			yg[i] = v * sz[i]
		}
		mx.cast.Round(yg)
	}
}

// castConv returns the convolution the forward and backward apply: Conv in
// float32, or under autocast a copy whose weight and bias are rounded to the
// format (torch autocast casts conv1d's weight and bias), rounded again from
// the float32 master values on every call into buffers kept between calls.
func (mx *Mixer) castConv() nn.CausalConv1d {
	cv := mx.Conv
	if mx.cast == nn.AutocastOff {
		return cv
	}
	mx.convW = append(mx.convW[:0], cv.Weight...)
	mx.cast.Round(mx.convW)
	cv.Weight = mx.convW
	if cv.Bias != nil {
		mx.convB = append(mx.convB[:0], cv.Bias...)
		mx.cast.Round(mx.convB)
		cv.Bias = mx.convB
	}
	return cv
}

// ssdArgs returns the SSD operands of a's (batch, seq): x, B and C are column
// blocks of xbc, Δ and Δ·A come from a.dt and a.dA.
func (mx *Mixer) ssdArgs(a *activations) (nn.SSDInputs, nn.SSDDims) {
	c := mx.cfg
	dI, gn, cd := c.DInner(), c.NGroups*c.DState, c.ConvDim()
	in := nn.SSDInputs{X: a.xbc, Dt: a.dt, DA: a.dA, B: a.xbc[dI:], C: a.xbc[dI+gn:], D: mx.D, XStride: cd, BCStride: cd}
	dims := nn.SSDDims{Batch: a.batch, SeqLen: a.seq, Heads: c.NHeads(), HeadDim: c.HeadDim, Groups: c.NGroups, DState: c.DState}
	return in, dims
}

// activations are the buffers of one (batch, seq) shape, allocated once and
// reused by every call of that shape. All are float32 slices; under autocast
// zxbcdt, convPre, xbc, y, yGated and mixOut hold half values. Forward
// keeps one set and lets convPre alias xbc and yGated alias y (the ops then run
// in place). LossAndGrad keeps one set per layer (newTrainActivations) with
// what the backward reads and cannot cheaply recompute: resid, the norms'
// statistics, Δ, Δ·A, and zxbcdt, y and yGated, in float32 or, under
// autocast, packed into their 16-bit encodings (half values round-trip
// exactly; torch autocast likewise keeps half tensors for backward). The
// layers share one set of the rest (activationScratch): normed, convPre and
// xbc, which the backward recomputes (an RMSNorm, the depthwise conv and a
// SiLU), mixOut, which it does not read, the zero SSM state, and under
// autocast the float32 slices the packed three are unpacked into.
type activations struct {
	batch, seq int
	resid      []float32 // residual stream (training: the block's input): (batch, seq, DModel)
	normed     []float32 // block / final RMSNorm output: (batch, seq, DModel)
	rstd       []float32 // the block norm's 1/rms, training only: (batch, seq)
	zxbcdt     []float32 // in_proj output: (batch, seq, DInProj)
	convPre    []float32 // conv output before SiLU: (batch, seq, ConvDim); xbc outside training
	xbc        []float32 // conv + SiLU output [x | B | C]: (batch, seq, ConvDim)
	dt, dA     []float32 // Δ and Δ·A: (batch, seq, H)
	y          []float32 // SSD output with the D skip: (batch, seq, DInner)
	yGated     []float32 // gated norm output, out_proj's input: (batch, seq, DInner); y outside training
	rstdGated  []float32 // the gated norm's 1/rms per group, training only: (batch, seq, NGroups)
	mixOut     []float32 // mixer output: (batch, seq, DModel)
	ssmZero    []float32 // zero initial SSM state for calls without State: (batch, H, P, N)
	aNeg       []float32 // A = −exp(A_log) of the running layer: (H)
	// packed holds zxbcdt, y and yGated in the autocast format while
	// training under autocast (the three are then shared scratch); nil
	// otherwise.
	packed *nn.Packed
}

// activations returns the buffers for (batch, seq), reusing the two most
// recent shapes (typically a prefill and the decode step).
func (m *Model) activations(batch, seq int) *activations {
	for i, a := range m.acts {
		if a.batch == batch && a.seq == seq {
			copy(m.acts[1:i+1], m.acts[:i])
			m.acts[0] = a
			return a
		}
	}
	a := newActivations(m.Config, batch, seq)
	m.acts = append([]*activations{a}, m.acts[:min(len(m.acts), 1)]...)
	return a
}

// newActivations allocates Forward's buffers of one (batch, seq) shape.
func newActivations(c Config, batch, seq int) *activations {
	rows := batch * seq
	a := &activations{
		batch: batch, seq: seq,
		resid:  make([]float32, rows*c.DModel),
		zxbcdt: make([]float32, rows*c.DInProj()),
		dt:     make([]float32, rows*c.NHeads()),
		dA:     make([]float32, rows*c.NHeads()),
		y:      make([]float32, rows*c.DInner()),
		aNeg:   make([]float32, c.NHeads()),
	}
	a.shareScratch(newActivationScratch(c, batch, seq))
	a.convPre, a.yGated = a.xbc, a.y
	return a
}

// newTrainActivations allocates one layer's training buffers, sharing s's:
// zxbcdt, y and yGated of its own in float32, or packed under autocast.
func newTrainActivations(c Config, batch, seq int, cast nn.Autocast, s activationScratch) *activations {
	rows := batch * seq
	f := func(n int) []float32 { return make([]float32, n) }
	a := &activations{
		batch: batch, seq: seq,
		resid: f(rows * c.DModel), rstd: f(rows),
		dt: f(rows * c.NHeads()), dA: f(rows * c.NHeads()),
		rstdGated: f(rows * c.NGroups),
		aNeg:      f(c.NHeads()),
	}
	a.shareScratch(s)
	a.convPre = s.convPre
	if cast == nn.AutocastOff {
		a.zxbcdt, a.y, a.yGated = f(rows*c.DInProj()), f(rows*c.DInner()), f(rows*c.DInner())
		return a
	}
	a.zxbcdt, a.y, a.yGated = s.zxbcdt, s.y, s.yGated
	a.packed = new(nn.Packed)
	return a
}

// pack stores the layer's half activations after its forward (a no-op
// outside autocast training).
func (a *activations) pack(cast nn.Autocast) {
	if a.packed != nil {
		a.packed.Store(cast, a.zxbcdt, a.y, a.yGated)
	}
}

// unpack restores what pack stored into the shared float32 slices before
// the layer's backward.
func (a *activations) unpack() {
	if a.packed != nil {
		a.packed.Load(a.zxbcdt, a.y, a.yGated)
	}
}

// activationScratch are the buffers a training step shares between its
// layers (see activations): normed, convPre and xbc, mixOut and the zero SSM
// state, and under autocast zxbcdt, y and yGated. Forward uses normed, xbc,
// mixOut and ssmZero.
type activationScratch struct {
	normed, xbc, mixOut, ssmZero []float32
	convPre, zxbcdt, y, yGated   []float32 // training only (newTrainScratch)
}

// newActivationScratch allocates Forward's shared buffers of one (batch,
// seq) shape.
func newActivationScratch(c Config, batch, seq int) activationScratch {
	rows := batch * seq
	return activationScratch{
		normed:  make([]float32, rows*c.DModel),
		xbc:     make([]float32, rows*c.ConvDim()),
		mixOut:  make([]float32, rows*c.DModel),
		ssmZero: make([]float32, batch*c.NHeads()*c.HeadDim*c.DState),
	}
}

// newTrainScratch allocates a training step's shared buffers for cast.
func newTrainScratch(c Config, batch, seq int, cast nn.Autocast) activationScratch {
	rows := batch * seq
	s := newActivationScratch(c, batch, seq)
	s.convPre = make([]float32, rows*c.ConvDim())
	if cast != nn.AutocastOff {
		s.zxbcdt = make([]float32, rows*c.DInProj())
		s.y, s.yGated = make([]float32, rows*c.DInner()), make([]float32, rows*c.DInner())
	}
	return s
}

// shareScratch points a's shared buffers at s.
func (a *activations) shareScratch(s activationScratch) {
	a.normed, a.xbc, a.mixOut, a.ssmZero = s.normed, s.xbc, s.mixOut, s.ssmZero
}

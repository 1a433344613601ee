package mamba

import (
	"github.com/steady-ml/steady/nn"
)

// backward propagates tb.dnormed = ∂loss/∂(norm_f output), written by
// nn.LMHeadLoss, through the model saved by trainForward, adding parameter
// gradients into g (+=) and writing activation gradients (=); tb.dres, the residual stream's gradient, accumulates the branch of
// each block on the way down. A nil weight gradient in g (a frozen base,
// frozenGrads) skips that weight's product; adapters in training still
// receive theirs.
func (m *Model) backward(g *gradTensors, tb *trainBuffers, tokens []int32) {
	rows := tb.batch * tb.seq
	// n_f = RMSNorm_f(resid_L): dresid_L = RMSNorm_fᵀ(dn_f), dγ_f; float32
	m.normF.Backward(tb.dres, g.normF, tb.dnormed, tb.resid, tb.rstd, rows)
	for i := len(m.layers) - 1; i >= 0; i-- {
		m.layers[i].backward(&g.blocks[i], &tb.layers[i], tb)
	}
	// resid_0 = E[tokens]: dE[token] += dresid_0 row
	m.embed.Backward(g.embedding, tb.dres, tokens)
}

// backward takes tb.dres = ∂loss/∂(block output) to ∂loss/∂(block input),
// adding the block's parameter gradients into g; a holds its activations.
//
//	out = x + Mixer(RMSNorm(x))  →  dx = dout + RMSNormᵀ(Mixerᵀ(dout))
func (b *block) backward(g *blockGrads, a *activations, tb *trainBuffers) {
	rows := tb.batch * tb.seq
	// restore the buffers the layers share, as the forward computed them:
	// the packed half activations, h = RMSNorm(x) (the saved 1/rms is
	// unchanged), conv = conv1d(x) + b_conv and u = SiLU(conv), both half,
	// and δ_low
	mx, di := &b.mixer, b.mixer.scan.DInner
	a.unpack()
	b.norm.Forward(a.hidden, nil, a.resid, rows)
	mx.convFor().Forward(a.convPre, di, a.xz, 2*di, tb.batch, tb.seq, nil)
	mx.cast.Round(a.convPre)
	nn.SiLU(a.u, a.convPre)
	mx.cast.Round(a.u)
	mx.packDtLow(a, rows)
	b.mixer.backward(g, a, tb)
	b.norm.Backward(tb.dnorm, g.norm, tb.dnormed, a.resid, a.rstd, rows)
	for j, v := range tb.dnorm {
		tb.dres[j] += v
	}
}

// backward runs the mixer's backward from dout = tb.dres (rows, DModel) to
// tb.dnormed = ∂loss/∂(mixer input) (rows, DModel), adding the parameter
// gradients into g. The steps undo mixer.forward's from the end; a holds what
// it saved: h (a.hidden), xz, convPre, u, xdbl, δ_low, δ, y (and the ungated
// y under autocast). The scan saves nothing and recomputes its states
// (nn.SelectiveScan.Backward). Under autocast each gradient of a half tensor
// is rounded once where it is produced (autocast.go).
func (mx *mixer) backward(g *blockGrads, a *activations, tb *trainBuffers) {
	batch, seq := tb.batch, tb.seq
	rows := batch * seq
	di, n, r := mx.scan.DInner, mx.scan.DState, mx.dtRank
	wx := r + 2*n
	// out = y·W_outᵀ (+ b): dy = dout·W_out; dW_out += doutᵀ·y. Under autocast
	// the mixer output is half: the Linear rounds the float32 dout where it
	// enters, and dW_out is summed per sequence (outProjWeightGrad).
	if mx.cast == nn.AutocastOff {
		mx.outProj.Backward(tb.dy, g.outProj, g.outProjBias, tb.dres, a.y, rows)
	} else {
		mx.outProj.Backward(tb.dy, nil, g.outProjBias, tb.dres, a.y, rows)
		mx.outProjWeightGrad(g.outProj, tb.dres, a.y, batch, seq)
	}
	// y = S6(u, softplus(δ + δ_bias), A, B, C, D)·SiLU(z): du, dδ, dB and dC into
	// dxdbl's column blocks, dz into dxz's second half; dA, dD, dδ_bias
	clear(tb.dA)
	args := mx.scanArgs(a, batch, seq)
	sg := nn.ScanGrads{
		DOut: tb.dy, LdDOut: di,
		DU: tb.du, LdDU: di,
		DDelta: tb.ddelta, LdDDelta: di,
		DB: tb.dxdbl[r:], LdDB: wx,
		DC: tb.dxdbl[r+n:], LdDC: wx,
		DZ: tb.dxz[di:], LdDZ: 2 * di,
		DA: tb.dA, DD: g.d, DDeltaBias: g.dtProjBias,
	}
	if mx.cast == nn.AutocastOff {
		mx.scan.Backward(&args, &sg)
	} else {
		mx.scanBackwardAutocast(&args, &sg, a, tb)
	}
	// A = −exp(A_log): dA_log += dA ⊙ A (skipped for a frozen base)
	if g.aLog != nil {
		for k, v := range tb.dA {
			g.aLog[k] += v * mx.scan.A[k]
		}
	}
	// δ = δ_low·W_Δᵀ: dδ_low = dδ·W_Δ, then into dxdbl's first R columns; dW_Δ += dδᵀ·δ_low
	mx.dtProj.Backward(tb.ddtLow, g.dtProj, nil, tb.ddelta, a.dtLow, rows)
	for i := 0; i < rows; i++ {
		copy(tb.dxdbl[i*wx:i*wx+r], tb.ddtLow[i*r:(i+1)*r])
	}
	// [δ_low | B | C] = u·W_xᵀ: du += dxdbl·W_x; dW_x += dxdblᵀ·u. u is half
	// under autocast: its two gradients add in half, rounded once.
	mx.xProj.Backward(tb.duX, g.xProj, nil, tb.dxdbl, a.u, rows)
	for j, v := range tb.duX {
		tb.du[j] += v
	}
	mx.cast.Round(tb.du)
	// u = SiLU(conv): dconv = du ⊙ SiLU'(conv), in place; half
	nn.SiLUBackward(tb.du, tb.du, a.convPre)
	mx.cast.Round(tb.du)
	// conv = conv1d(x) + b_conv: dx into dxz's first half, dW_conv, db_conv
	mx.convBackward(g, a, tb)
	// [x | z] = h·W_inᵀ (+ b): dh = dxz·W_in; dW_in += dxzᵀ·h
	mx.inProj.Backward(tb.dnormed, g.inProj, g.inProjBias, tb.dxz, a.hidden, rows)
}

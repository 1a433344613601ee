package mamba2

import (
	"github.com/steady-ml/steady/nn"
)

// backward propagates tb.dnormed = ∂loss/∂(norm_f output), written by
// nn.LMHeadLoss, through the model saved by trainForward, adding parameter
// gradients into g (+=) and writing activation gradients (=); tb.dres, the residual stream's gradient, accumulates the branch of
// each block on the way down.
func (m *Model) backward(g *gradTensors, tb *trainBuffers, tokens []int32) {
	rows := tb.batch * tb.seq
	// n_f = RMSNorm_f(resid_L): dresid_L = RMSNorm_fᵀ(dn_f); the norms, the
	// residual stream and the embedding stay float32 under autocast
	m.NormF.Backward(tb.dres, g.normF, tb.dnormed, tb.resid, tb.rstd, rows)
	for i := len(m.Blocks) - 1; i >= 0; i-- {
		m.Blocks[i].backward(&g.blocks[i], tb.layers[i], tb)
	}
	// resid_0 = E[tokens]: dE[token] += dresid_0 row
	m.Embedding.Backward(g.embedding, tb.dres, tokens)
}

// backward takes tb.dres = ∂loss/∂(block output) to ∂loss/∂(block input),
// adding the block's parameter gradients into g; a holds its activations.
//
//	out = x + Mixer(RMSNorm(x))  →  dx = dout + RMSNormᵀ(Mixerᵀ(dout))
func (b *Block) backward(g *blockWeights, a *activations, tb *trainBuffers) {
	mx, c := &b.Mixer, b.Mixer.cfg
	rows, cd, dI, dp := a.batch*a.seq, c.ConvDim(), c.DInner(), c.DInProj()
	// restore the buffers the layers share, as the forward computed them:
	// the packed half activations, normed = RMSNorm(x) (the saved 1/rms is
	// unchanged), conv = R(conv1d(xBC) + b) and xBC = R(SiLU(conv))
	a.unpack()
	b.Norm.Forward(a.normed, nil, a.resid, rows)
	mx.castConv().Forward(a.convPre, cd, a.zxbcdt[dI:], dp, a.batch, a.seq, nil)
	mx.cast.Round(a.convPre[:rows*cd])
	nn.SiLU(a.xbc[:rows*cd], a.convPre[:rows*cd])
	mx.cast.Round(a.xbc[:rows*cd])
	mx.backward(g, a, tb)
	b.Norm.Backward(tb.dnorm, g.norm, tb.dnormed, a.resid, a.rstd, rows)
	for j, v := range tb.dnorm[:len(a.resid)] {
		tb.dres[j] += v
	}
}

// backward runs the mixer's backward from dout = tb.dres (rows, DModel) to
// tb.dnormed = ∂loss/∂(mixer input) (rows, DModel), adding the parameter
// gradients into g. The steps undo mixer.forward's from the end; a holds what
// it saved (zxbcdt, convPre, xbc, Δ, Δ·A, y, yGated, rstdGated, A). Under
// autocast the gradient of each half tensor is rounded once (R, a no-op in
// float32) where it is produced.
func (mx *Mixer) backward(g *blockWeights, a *activations, tb *trainBuffers) {
	c := mx.cfg
	batch, seq := a.batch, a.seq
	rows := batch * seq
	dI, cd, dp := c.DInner(), c.ConvDim(), c.DInProj()
	// out = yGated·W_outᵀ + b_out: dyGated = R(dout·W_out), dW_out += R(doutᵀ·yGated).
	// dout enters as the gradient of the half mixer output, R(dres): out_proj's
	// autocast backward rounds its incoming gradient itself (nn.Linear)
	mx.OutProj.Backward(tb.dyGated, g.outProj, g.outProjBias, tb.dres, a.yGated, rows)
	// yGated = RMSNorm_group(y ⊙ SiLU(z))·γ: dy = R(·), and dz into dzxbcdt's z columns
	mx.gateBackward(g, a, tb)
	// y = SSD(x, Δ, A, B, C) + D·x in float32: dx, dB, dC into dxbc's column
	// blocks, then R (xBC is half); dΔ, d(Δ·A) and dD stay float32
	in, dims := mx.ssdArgs(a)
	sg := nn.SSDGrads{DY: tb.dy, DX: tb.dxbc, DDt: tb.dDt, DDA: tb.dDA, DB: tb.dxbc[dI:], DC: tb.dxbc[dI+c.NGroups*c.DState:], DD: g.d}
	nn.SSDChunkedBackward(sg, in, dims, c.ChunkSize)
	mx.cast.Round(tb.dxbc[:rows*cd])
	// Δ = clamp(softplus(dt + dt_bias)), A = −exp(A_log): ddt into dzxbcdt's dt columns
	mx.dtBackward(g, a, tb)
	// xBC = SiLU(conv): dconv = R(dxBC ⊙ SiLU'(conv)), in place
	nn.SiLUBackward(tb.dxbc[:rows*cd], tb.dxbc[:rows*cd], a.convPre[:rows*cd])
	mx.cast.Round(tb.dxbc[:rows*cd])
	// conv = conv1d(xBC_in) + b_conv: dxBC_in into dzxbcdt's xBC columns, dW_conv, db_conv
	mx.convBackward(g, a, tb)
	// dzxbcdt = [dz | dxBC_in | ddt] is the gradient of the half in_proj
	// output: R once, the three ops that wrote it each rounded here
	mx.cast.Round(tb.dzxbcdt[:rows*dp])
	// zxbcdt = normed·W_inᵀ + b_in: dnormed = R(dzxbcdt·W_in), dW_in += R(dzxbcdtᵀ·normed)
	mx.InProj.Backward(tb.dnormed, g.inProj, g.inProjBias, tb.dzxbcdt, a.normed, rows)
}

// convBackward is the backward of the conv: dxBC_in = Σ_j w[:,j]⊙dconv
// written into dzxbcdt's xBC columns, and dW_conv, db_conv accumulated into g
// (nn.CausalConv1d.Backward). Under autocast it uses the rounded weight and
// computes the weight and bias gradients in float32 from the half dconv and
// xBC_in into pooled scratch, rounds them once and adds them into g (the
// backward of torch's cast of the float32 master weights).
func (mx *Mixer) convBackward(g *blockWeights, a *activations, tb *trainBuffers) {
	c := mx.cfg
	dI, cd, dp := c.DInner(), c.ConvDim(), c.DInProj()
	if mx.cast == nn.AutocastOff {
		mx.Conv.Backward(tb.dzxbcdt[dI:], dp, g.convWeight, g.convBias, tb.dxbc, cd, a.zxbcdt[dI:], dp, a.batch, a.seq)
		return
	}
	dW := nn.GetScratch(len(g.convWeight))
	defer nn.PutScratch(dW)
	clear(*dW)
	var dBias []float32
	if g.convBias != nil {
		db := nn.GetScratch(len(g.convBias))
		defer nn.PutScratch(db)
		dBias = *db
		clear(dBias)
	}
	mx.castConv().Backward(tb.dzxbcdt[dI:], dp, *dW, dBias, tb.dxbc, cd, a.zxbcdt[dI:], dp, a.batch, a.seq)
	addRounded(mx.cast, g.convWeight, *dW)
	addRounded(mx.cast, g.convBias, dBias)
}

// addRounded adds the half value of each float32 gradient in src into dst:
// dst += R(src).
func addRounded(cast nn.Autocast, dst, src []float32) {
	cast.Round(src)
	for i, v := range src {
		dst[i] += v
	}
}

// gateBackward is the backward of yGated = Norm(y ⊙ SiLU(z)) (or y ⊙ SiLU(z)
// without the gated norm): it writes tb.dy (rows, DInner) and dz into the
// first DInner columns of tb.dzxbcdt, and adds dγ into g.gatedNorm. Under
// autocast dy is rounded (y is half); dz is rounded with the rest of
// dzxbcdt, and dγ stays float32 (the norm runs in float32 inside).
func (mx *Mixer) gateBackward(g *blockWeights, a *activations, tb *trainBuffers) {
	c := mx.cfg
	rows, dI, dp := a.batch*a.seq, c.DInner(), c.DInProj()
	if c.GatedNorm {
		mx.Norm.Backward(tb.dy, dI, tb.dzxbcdt, dp, g.gatedNorm, tb.dyGated, a.y, dI, a.zxbcdt, dp, a.rstdGated, rows)
		mx.cast.Round(tb.dy[:rows*dI])
		return
	}
	// yGated = y ⊙ SiLU(z): dy = dyGated ⊙ SiLU(z), dz = dyGated ⊙ y ⊙ SiLU'(z)
	buf := nn.GetScratch(dI)
	defer nn.PutScratch(buf)
	sz := *buf // R(SiLU(z)) of one row
	for r := 0; r < rows; r++ {
		dyg, y, z := tb.dyGated[r*dI:(r+1)*dI], a.y[r*dI:(r+1)*dI], a.zxbcdt[r*dp:r*dp+dI]
		dy, dz := tb.dy[r*dI:(r+1)*dI], tb.dzxbcdt[r*dp:r*dp+dI]
		if mx.cast == nn.AutocastOff {
			for i, v := range dyg {
				dy[i] = v * nn.SiLUScalar(z[i])
				dz[i] = v * y[i]
			}
			nn.SiLUBackward(dz, dz, z)
			continue
		}
		// under autocast, with s = R(SiLU(z)) as the forward used it:
		// dy = R(dyGated ⊙ s), ds = R(dyGated ⊙ y), dz = R(ds ⊙ SiLU'(z))
		for i, v := range z {
			sz[i] = nn.SiLUScalar(v)
		}
		mx.cast.Round(sz)
		for i, v := range dyg {
			dy[i] = v * sz[i]
			dz[i] = v * y[i]
		}
		mx.cast.Round(dy)
		mx.cast.Round(dz)
		nn.SiLUBackward(dz, dz, z)
	}
}

// dtBackward chains the SSD's dΔ and d(Δ·A) through Δ·A, the clamp, the
// softplus and A = −exp(A_log) (ssd_backward.go's convention):
//
//	dΔ     = dΔ_ssd + d(Δ·A)·A          dA = Σ_rows d(Δ·A)·Δ       dA_log = dA·A
//	ddt    = dΔ·σ(dt + dt_bias)·[lo ≤ softplus(dt + dt_bias) ≤ hi]   d dt_bias = Σ_rows ddt
//
// ddt is written into the last H columns of tb.dzxbcdt; the per-head sums
// are accumulated in float64 and then added into g.aLog and g.dtBias.
func (mx *Mixer) dtBackward(g *blockWeights, a *activations, tb *trainBuffers) {
	c := mx.cfg
	rows, H, dp := a.batch*a.seq, c.NHeads(), c.DInProj()
	off := dp - H // the dt columns of zxbcdt
	lo, hi := float32(c.DtLimit[0]), float32(c.DtLimit[1])
	clear(tb.dALog)
	clear(tb.dDtBias)
	for r := 0; r < rows; r++ {
		dDelta, dDA, delta := tb.dDt[r*H:(r+1)*H], tb.dDA[r*H:(r+1)*H], a.dt[r*H:(r+1)*H]
		raw, ddt := a.zxbcdt[r*dp+off:(r+1)*dp], tb.dzxbcdt[r*dp+off:(r+1)*dp]
		for h := range dDelta {
			tb.dALog[h] += float64(dDA[h] * delta[h])
			dDelta[h] += dDA[h] * a.aNeg[h]
			tb.spIn[h] = raw[h] + mx.DtBias[h]
			// torch.clamp passes the gradient where lo ≤ softplus ≤ hi (before clamping)
			if sp := nn.SoftplusScalar(tb.spIn[h]); sp < lo || sp > hi {
				dDelta[h] = 0
			}
		}
		nn.SoftplusBackward(ddt, dDelta, tb.spIn)
		for h, v := range ddt {
			tb.dDtBias[h] += float64(v)
		}
	}
	for h := range H {
		g.aLog[h] += float32(tb.dALog[h]) * a.aNeg[h]
		g.dtBias[h] += float32(tb.dDtBias[h])
	}
}

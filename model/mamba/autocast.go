package mamba

import (
	"fmt"

	"github.com/steady-ml/steady/nn"
)

// SetPrecision sets the autocast format of Forward, ForwardTrace,
// LossAndGrad and LossAndGradTargets (DESIGN.md "Precision modes"; PyTorch
// CPU autocast over mamba_ssm's mixer as traced op by op in
// shared/fixtures/README.md, computed with its `clean` arithmetic). Under
// nn.AutocastBF16 or nn.AutocastF16, per layer:
//
//	half (rounded once, from half operands, float32 accumulation):
//	    in_proj, conv1d (weight and bias rounded), its SiLU, x_proj, dt_proj,
//	    SiLU(z), the gated scan output, out_proj, the LM head (logits)
//	float32: the embedding, the residual stream, RMSNorms, the scan's Δ,
//	    state h, ⟨C, h⟩ and y + D·u (autocast off inside, as mamba_ssm's fused
//	    kernel), A_log, D, dt_proj.bias, the loss and the decode states
//
// In the backward the gradients of half tensors are half: each backward op
// that produces one rounds it once, the float32 gradient of the residual
// stream and of the logits is rounded where it enters a half tensor, and each
// parameter's gradient is a half contribution added exactly into the float32
// master gradient; out_proj's is summed per sequence as torch's bmm over
// the transposed scan output does (outProjWeightGrad). nn.AutocastOff
// restores the float32 model, bit for bit.
//
// The optional in_proj and out_proj biases (no released Mamba-1 checkpoint
// has them) are added inside the rounded product, as torch's addmm does;
// mamba_ssm adds in_proj's, and torch out_proj's on the transposed input, to
// the rounded product in a second half op, which can differ by a half ulp.
// Adapters attached through Modules compute in the format of their Linear.
func (m *Model) SetPrecision(c nn.Autocast) {
	if c > nn.AutocastF16 {
		panic(fmt.Sprintf("mamba: SetPrecision(%v): unknown autocast format", c))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cast = c
	m.embed.Cast, m.lmHead.Cast = c, c
	for i := range m.layers {
		m.layers[i].mixer.setCast(c)
	}
}

// Precision returns the autocast format set by SetPrecision
// (nn.AutocastOff for a new model).
func (m *Model) Precision() nn.Autocast {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cast
}

// setCast sets the mixer's format and its Linears', and gives convHalf
// storage the first time autocast is on.
func (mx *mixer) setCast(c nn.Autocast) {
	mx.cast = c
	for _, l := range []*nn.Linear{&mx.inProj, &mx.xProj, &mx.dtProj, &mx.outProj} {
		l.Cast = c
	}
	if c == nn.AutocastOff || mx.convHalf.Weight != nil {
		return
	}
	mx.convHalf = mx.conv
	mx.convHalf.Weight = make([]float32, len(mx.conv.Weight))
	if mx.conv.Bias != nil {
		mx.convHalf.Bias = make([]float32, len(mx.conv.Bias))
	}
}

// convFor returns the conv the forward applies: the float32 one, or under
// autocast convHalf with the current master weight and bias rounded into it
// (torch autocast's cast of conv1d's weight and bias).
func (mx *mixer) convFor() nn.CausalConv1d {
	if mx.cast == nn.AutocastOff {
		return mx.conv
	}
	copy(mx.convHalf.Weight, mx.conv.Weight)
	mx.cast.Round(mx.convHalf.Weight)
	if mx.conv.Bias != nil {
		copy(mx.convHalf.Bias, mx.conv.Bias)
		mx.cast.Round(mx.convHalf.Bias)
	}
	return mx.convHalf
}

// scanAutocast is the scan under autocast: autocast off inside, as mamba_ssm's
// fused kernel (fixtures README, clean variant point 2). On the half u, δ, B,
// C it computes Δ = softplus(δ + δ_bias), the state h, ⟨C, h⟩ and
// pre = y + D·u in float32 (into a.yPre when training keeps it, else into
// a.y), then gates (selective_scan_ref: out = (y + u·D)·F.silu(z) with z
// half, then .to(dtype_in)):
//
//	y = round(pre ⊙ round(SiLU(z)))
func (mx *mixer) scanAutocast(args *nn.ScanArgs, a *activations) {
	rows, di := args.Batch*args.Seq, mx.scan.DInner
	pre := a.y[:rows*di]
	if a.yPre != nil {
		pre = a.yPre[:rows*di]
	}
	z := args.Z
	args.Z, args.Out = nil, pre
	mx.scan.Forward(args)
	mx.gate(a.y[:rows*di], pre, z, rows)
}

// gate writes y = round(pre ⊙ round(SiLU(z))) row by row; y may alias pre.
//
//	pre, y: (rows, DInner)   z: (rows, DInner) with row stride 2·DInner
func (mx *mixer) gate(y, pre, z []float32, rows int) {
	di := mx.scan.DInner
	buf := nn.GetScratch(di)
	defer nn.PutScratch(buf)
	s := *buf
	for i := 0; i < rows; i++ {
		nn.SiLU(s, z[i*2*di:i*2*di+di])
		mx.cast.Round(s)
		yr, pr := y[i*di:(i+1)*di], pre[i*di:(i+1)*di]
		for j, v := range s {
			yr[j] = pr[j] * v
		}
		mx.cast.Round(yr)
	}
}

// gateBackward is gate's backward (torch's MulBackward of the float32
// product, then silu_backward on the half z), with s = round(SiLU(z)):
//
//	dpre = dy ⊙ s                        float32, written over dy
//	ds   = round(dy ⊙ pre)               the half gradient of s
//	dz   = round(ds ⊙ SiLU'(z))          half
//
//	dy, pre: (rows, DInner)   dz, z: (rows, DInner) with row stride 2·DInner
func (mx *mixer) gateBackward(dy, dz, pre, z []float32, rows int) {
	di := mx.scan.DInner
	buf := nn.GetScratch(2 * di)
	defer nn.PutScratch(buf)
	s, ds := (*buf)[:di], (*buf)[di:]
	for i := 0; i < rows; i++ {
		zr, dzr := z[i*2*di:i*2*di+di], dz[i*2*di:i*2*di+di]
		nn.SiLU(s, zr)
		mx.cast.Round(s)
		dyr, pr := dy[i*di:(i+1)*di], pre[i*di:(i+1)*di]
		for j, g := range dyr {
			ds[j] = g * pr[j]
			dyr[j] = g * s[j]
		}
		mx.cast.Round(ds)
		nn.SiLUBackward(dzr, ds, zr)
		mx.cast.Round(dzr)
	}
}

// scanBackwardAutocast is the scan's backward under autocast: the gate's
// backward turns tb.dy into ∂loss/∂pre and writes dz, then the float32 scan
// backward runs without a gate. The gradients of the half u, δ, B and C are
// rounded where they leave the scan (the backward of its .float() casts);
// dA, dD and dδ_bias stay float32.
func (mx *mixer) scanBackwardAutocast(args *nn.ScanArgs, sg *nn.ScanGrads, a *activations, tb *trainBuffers) {
	rows := tb.batch * tb.seq
	di, r, wx := mx.scan.DInner, mx.dtRank, mx.dtRank+2*mx.scan.DState
	mx.gateBackward(tb.dy, sg.DZ, a.yPre, args.Z, rows)
	args.Z, sg.DZ = nil, nil
	mx.scan.Backward(args, sg)
	mx.cast.Round(tb.du[:rows*di])
	mx.cast.Round(tb.ddelta[:rows*di])
	for i := 0; i < rows; i++ {
		mx.cast.Round(tb.dxdbl[i*wx+r : (i+1)*wx]) // dB | dC
	}
}

// convBackward is conv1d's backward into dxz's first half from
// tb.du = ∂loss/∂(conv output). In float32 it is CausalConv1d.Backward. Under
// autocast the conv's operands are half (x, w̃, b̃) and so are its gradients:
//
//	dx = round(Σ_j w̃·dconv)   dW += round(Σ dconv·x)   db += round(Σ dconv)
func (mx *mixer) convBackward(g *blockGrads, a *activations, tb *trainBuffers) {
	batch, seq := tb.batch, tb.seq
	di := mx.scan.DInner
	if mx.cast == nn.AutocastOff {
		mx.conv.Backward(tb.dxz, 2*di, g.conv, g.convBias, tb.du, di, a.xz, 2*di, batch, seq)
		return
	}
	dw := nn.GetScratch(len(mx.conv.Weight) + len(mx.conv.Bias))
	defer nn.PutScratch(dw)
	clear(*dw)
	dW, dBias := (*dw)[:len(mx.conv.Weight)], (*dw)[len(mx.conv.Weight):]
	if mx.conv.Bias == nil {
		dBias = nil
	}
	mx.convHalf.Backward(tb.dxz, 2*di, dW, dBias, tb.du, di, a.xz, 2*di, batch, seq)
	for i := 0; i < batch*seq; i++ {
		mx.cast.Round(tb.dxz[i*2*di : i*2*di+di])
	}
	addRounded(mx.cast, g.conv, dW)
	addRounded(mx.cast, g.convBias, dBias)
}

// addRounded adds round(src) into the float32 master gradient dst: the
// backward of a parameter's cast to half. A nil dst (or src) adds nothing.
func addRounded(cast nn.Autocast, dst, src []float32) {
	if dst == nil || src == nil {
		return
	}
	cast.Round(src)
	for i, v := range src {
		dst[i] += v
	}
}

// outProjWeightGrad adds out_proj's weight gradient under autocast as torch
// computes it for the transposed 3-D input y of mamba_ssm's (and HF's) mixer:
// matmul does not fold a non-contiguous input that requires grad into one mm
// but runs bmm against the weight expanded over the batch, so the gradient is
// one half product per sequence, then one half sum over the batch:
//
//	dW += round(Σ_b round(dout_bᵀ·y_b))
//
//	dout: (batch, seq, Out)   y: (batch, seq, In)   dW: (Out, In), skipped when nil
func (mx *mixer) outProjWeightGrad(dW, dout, y []float32, batch, seq int) {
	if dW == nil {
		return
	}
	out, in := mx.outProj.Out, mx.outProj.In
	buf := nn.GetScratch(2 * out * in)
	defer nn.PutScratch(buf)
	sum, part := (*buf)[:out*in], (*buf)[out*in:]
	clear(sum)
	for b := 0; b < batch; b++ {
		// part (Out, In) = round(dout_bᵀ (Out, seq) · y_b (seq, In))
		mx.cast.Gemm(true, false, out, in, seq, 1, dout[b*seq*out:], out, y[b*seq*in:], in, 0, part, in)
		for i, v := range part {
			sum[i] += v
		}
	}
	addRounded(mx.cast, dW, sum)
}

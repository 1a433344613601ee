package mamba

import (
	"math"

	"github.com/steady-ml/steady/nn"
)

// mixer is the Mamba-1 mixer (mamba_ssm modules/mamba_simple.py Mamba; Gu &
// Dao 2023, Fig. 3 and Algorithm 2). Weights are float32 master values; under
// autocast (cast) the products round them into scratch (autocast.go).
type mixer struct {
	inProj  nn.Linear        // W_in: (2·DInner, DModel), bias only with use_bias
	conv    nn.CausalConv1d  // depthwise conv: w (DInner, DConv), bias (DInner)
	xProj   nn.Linear        // W_x: (R + 2N, DInner), no bias; rows [δ low-rank R | B N | C N]
	dtProj  nn.Linear        // W_Δ: (DInner, R), no bias; its bias is the scan's DeltaBias
	aLog    []float32        // A_log: (DInner, N), the parameter, float32 in every mode; scan.A is derived from it
	scan    nn.SelectiveScan // A = −exp(A_log) (DInner, N), D (DInner), δ_bias (DInner): float32 in every mode
	outProj nn.Linear        // W_out: (DModel, DInner), bias only with use_bias
	dtRank  int              // R

	cast nn.Autocast // the autocast format (Model.SetPrecision); the Linears carry it too
	// convHalf is conv with its weight and bias rounded to cast (torch
	// autocast casts conv1d's weight and bias), re-rounded from the master
	// values by every autocast call; unused when cast is off.
	convHalf nn.CausalConv1d
	// args holds forward's scan operands, so that handing them to the scan's
	// workers by pointer does not move them to the heap on every call.
	args nn.ScanArgs
}

// forward runs the mixer on x and writes out; out may alias x.
//
//	x, out:    (batch, seq, DModel)
//	convState: (batch, DInner, DConv) or nil
//	ssmState:  (batch, DInner, N) or nil
//
// With states, the sequence continues from them and they advance; this is
// mamba_ssm's prefill state capture for a fresh state and its step() for
// seq = 1, generalised to chunks of any length. Under autocast every op
// marked "half" rounds its output once (torch CPU autocast with the clean
// arithmetic of shared/fixtures; see autocast.go).
func (mx *mixer) forward(out, x []float32, a *activations, batch, seq int, convState, ssmState []float32) {
	rows := batch * seq
	di, r := mx.scan.DInner, mx.dtRank
	xz, u, convPre := a.xz[:rows*2*di], a.u[:rows*di], a.convPre[:rows*di]
	// [x | z] = h·W_inᵀ (+ b): xz (rows, 2·DInner), x = xz[:, :DInner], z = xz[:, DInner:]; half
	mx.inProj.Forward(xz, x, rows)
	// u = SiLU(conv1d(x) + b_conv), causal over time: u (rows, DInner); the
	// conv output lands in a.convPre, which is u itself (SiLU in place) except
	// in training, where SiLU's backward reads it. Both ops are half.
	mx.convFor().Forward(convPre, di, xz, 2*di, batch, seq, convState)
	mx.cast.Round(convPre)
	nn.SiLU(u, convPre)
	mx.cast.Round(u)
	// [δ_low | B | C] = u·W_xᵀ: xdbl (rows, R+2N); half
	mx.xProj.Forward(a.xdbl[:rows*(r+2*mx.scan.DState)], u, rows)
	// δ = δ_low·W_Δᵀ (no bias; the scan adds it before softplus): delta (rows, DInner); half.
	// δ_low is a column block of xdbl, packed first so that dt_proj is a plain Linear (and takes a LoRA).
	mx.packDtLow(a, rows)
	mx.dtProj.Forward(a.delta[:rows*di], a.dtLow[:rows*r], rows)
	// y = selective_scan(u, Δ = softplus(δ + δ_bias), A, B, C, D) · SiLU(z): y (rows, DInner)
	args := &mx.args
	*args = mx.scanArgs(a, batch, seq)
	args.State = ssmState
	if mx.cast == nn.AutocastOff {
		mx.scan.Forward(args)
	} else {
		mx.scanAutocast(args, a)
	}
	// out = y·W_outᵀ (+ b): (rows, DModel); half
	mx.outProj.Forward(out, a.y[:rows*di], rows)
}

// packDtLow copies δ_low = xdbl[:, :R] into a.dtLow (rows, R).
func (mx *mixer) packDtLow(a *activations, rows int) {
	r, wx := mx.dtRank, mx.dtRank+2*mx.scan.DState
	for i := 0; i < rows; i++ {
		copy(a.dtLow[i*r:(i+1)*r], a.xdbl[i*wx:i*wx+r])
	}
}

// scanArgs returns the selective scan's operands in a for (batch, seq),
// without a state: u, δ and the output y are a's, B and C are column blocks
// of x_proj's output, z is the second half of in_proj's.
func (mx *mixer) scanArgs(a *activations, batch, seq int) nn.ScanArgs {
	rows := batch * seq
	di, n, r := mx.scan.DInner, mx.scan.DState, mx.dtRank
	wx := r + 2*n
	return nn.ScanArgs{
		Batch: batch, Seq: seq,
		U: a.u[:rows*di], LdU: di,
		Delta: a.delta[:rows*di], LdDelta: di,
		B: a.xdbl[r : rows*wx], LdB: wx,
		C: a.xdbl[r+n : rows*wx], LdC: wx,
		Z: a.xz[di : rows*2*di], LdZ: 2 * di,
		Out: a.y[:rows*di], LdOut: di,
	}
}

// refreshA recomputes the scan's A = −exp(A_log) in float32 from the
// parameter (mamba_simple.py: A = -torch.exp(self.A_log.float())).
func (mx *mixer) refreshA() {
	for k, v := range mx.aLog {
		mx.scan.A[k] = -float32(math.Exp(float64(v)))
	}
}

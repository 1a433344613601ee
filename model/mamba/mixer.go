package mamba

import (
	"math"

	"github.com/steady-ml/steady/kernel"
	"github.com/steady-ml/steady/nn"
)

// mixer is the Mamba-1 mixer (mamba_ssm modules/mamba_simple.py Mamba; Gu &
// Dao 2023, Fig. 3 and Algorithm 2). Weights are float32 master values.
type mixer struct {
	inProj  nn.Linear        // W_in: (2·DInner, DModel), bias only with use_bias
	conv    nn.CausalConv1d  // depthwise conv: w (DInner, DConv), bias (DInner)
	xProj   nn.Linear        // W_x: (R + 2N, DInner), no bias; rows [δ low-rank R | B N | C N]
	dtProj  nn.Linear        // W_Δ: (DInner, R); its bias is the scan's DeltaBias
	aLog    []float32        // A_log: (DInner, N), the parameter; scan.A is derived from it
	scan    nn.SelectiveScan // A = −exp(A_log) (DInner, N), D (DInner), δ_bias (DInner)
	outProj nn.Linear        // W_out: (DModel, DInner), bias only with use_bias
	dtRank  int              // R
}

// forward runs the mixer on x and writes out; out may alias x.
//
//	x, out:    (batch, seq, DModel)
//	convState: (batch, DInner, DConv) or nil
//	ssmState:  (batch, DInner, N) or nil
//
// With states, the sequence continues from them and they advance; this is
// mamba_ssm's prefill state capture for a fresh state and its step() for
// seq = 1, generalised to chunks of any length.
func (mx *mixer) forward(out, x []float32, a *activations, batch, seq int, convState, ssmState []float32) {
	rows := batch * seq
	di, n, r := mx.scan.DInner, mx.scan.DState, mx.dtRank
	wx := r + 2*n
	xz, u, xdbl, delta, y := a.xz[:rows*2*di], a.u[:rows*di], a.xdbl[:rows*wx], a.delta[:rows*di], a.y[:rows*di]
	// [x | z] = h·W_inᵀ (+ b): xz (rows, 2·DInner), x = xz[:, :DInner], z = xz[:, DInner:]
	mx.inProj.Forward(xz, x, rows)
	// u = SiLU(conv1d(x) + b_conv), causal over time: u (rows, DInner); the
	// conv output lands in a.convPre, which is u itself (SiLU in place) except
	// in training, where SiLU's backward reads it
	mx.conv.Forward(a.convPre[:rows*di], di, xz, 2*di, batch, seq, convState)
	nn.SiLU(u, a.convPre[:rows*di])
	// [δ_low | B | C] = u·W_xᵀ: xdbl (rows, R+2N)
	mx.xProj.Forward(xdbl, u, rows)
	// δ = δ_low·W_Δᵀ (no bias; the scan adds it before softplus): delta (rows, DInner).
	// δ_low is a column block of xdbl (row stride R+2N), hence Sgemm rather than Linear.
	kernel.Sgemm(false, true, rows, di, r, 1, xdbl, wx, mx.dtProj.Weight, r, 0, delta, di)
	// y = selective_scan(u, Δ = softplus(δ + δ_bias), A, B, C, D) · SiLU(z): y (rows, DInner)
	args := mx.scanArgs(a, batch, seq)
	args.State = ssmState
	mx.scan.Forward(&args)
	// out = y·W_outᵀ (+ b): (rows, DModel)
	mx.outProj.Forward(out, y, rows)
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

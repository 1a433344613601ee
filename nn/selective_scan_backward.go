package nn

import (
	"fmt"
	"runtime"
	"sync"
)

// ScanGrads are the gradients of one SelectiveScan.Backward call. Each
// activation gradient has the layout of its ScanArgs tensor, with its own row
// stride, so dB and dC can be column blocks of x_proj's output gradient and
// du, dz column blocks of in_proj's.
//
// Gradient convention: activation gradients (du, dδ, dB, dC, dz) are written;
// parameter gradients (dA, dD, dδ_bias) accumulate.
type ScanGrads struct {
	DOut   []float32 // dout: (Batch, Seq, DInner), row stride LdDOut; the incoming gradient
	DU     []float32 // du: (Batch, Seq, DInner), row stride LdDU; written
	DDelta []float32 // dδ: (Batch, Seq, DInner), row stride LdDDelta; written; w.r.t. δ before bias and softplus
	DB     []float32 // dB: (Batch, Seq, DState), row stride LdDB; written
	DC     []float32 // dC: (Batch, Seq, DState), row stride LdDC; written
	DZ     []float32 // dz: (Batch, Seq, DInner), row stride LdDZ; written; nil exactly when ScanArgs.Z is
	// DA is dA: (DInner, DState), accumulated. It is the gradient w.r.t. A;
	// the caller chains dA_log += dA ⊙ A for A = −exp(A_log).
	DA         []float32
	DD         []float32 // dD: (DInner), accumulated; nil exactly when SelectiveScan.D is
	DDeltaBias []float32 // dδ_bias: (DInner), accumulated; nil exactly when SelectiveScan.DeltaBias is

	LdDOut, LdDU, LdDDelta, LdDB, LdDC, LdDZ int
}

// Backward computes the gradients of Forward over whole sequences that
// started from h_{−1} = 0 (a.State must be nil), in one fused reverse pass per
// channel, as mamba_ssm's selective_scan_bwd. a holds the Forward inputs (its
// Out must fit as for Forward but is not read). With ā_t = exp(Δ_t·A) and the state gradient g_t = ∂L/∂h_t
// carried backwards from g_Seq = 0:
//
//	dy_t = dout_t·SiLU(z_t);  dz_t = dout_t·y_t·SiLU'(z_t)              (dy_t = dout_t without z)
//	g_t  = ā_{t+1}⊙g_{t+1} + dy_t·C_t;   dC_t = Σ_d dy_t·h_t
//	dΔ_t = Σ_k g_t,k·(A_k·ā_t,k·h_{t−1,k} + B_t,k·u_t);   dA += g_t⊙Δ_t·ā_t⊙h_{t−1}
//	dB_t = Σ_d g_t·Δ_t·u_t;   du_t = D·dy_t + Δ_t·⟨g_t, B_t⟩;   dD += dy_t·u_t
//	dδ_t = dΔ_t·σ(δ_t + δ_bias) (softplus; above 20 and without softplus dδ_t = dΔ_t);  dδ_bias += dδ_t
//
// Memory: Forward saves nothing. Backward recomputes each channel's forward
// and keeps its states h_0..h_{Seq−1} and decays ā_t (2·Seq·DState floats),
// then walks back through time; the scratch is one such buffer per worker
// plus a private dB and dC (Batch·Seq·DState each) per worker, because every
// channel adds into the same dB_t and dC_t. Storing all states instead would take
// Batch·Seq·DInner·DState floats; mamba_ssm keeps chunk-boundary states and
// rescans, which needs the parallel scan's associativity we do not use.
//
// Each (sequence, block of scanBlock channels) is one call of the C kernel in
// selective_scan_backward.c (default build) or of backwardChannel's Go loops
// (purego build), which the tests hold to each other and to finite
// differences.
//
// Determinism: channel blocks are split into contiguous ranges, one per
// worker, and the private dB, dC are summed in worker order, so the result
// depends only on GOMAXPROCS, not on scheduling.
func (s *SelectiveScan) Backward(a *ScanArgs, g *ScanGrads) {
	s.check(a)
	s.checkGrads(a, g)
	n := s.DState
	nBlocks := (s.DInner + scanBlock - 1) / scanBlock
	workers := min(runtime.GOMAXPROCS(0), nBlocks)
	if a.Batch*a.Seq*s.DInner*n < scanMinParallel {
		workers = 1
	}
	bc := a.Batch * a.Seq * n
	partial := make([]float32, workers*2*bc) // per worker: dB then dC, packed (Batch, Seq, DState)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			dB, dC := partial[2*w*bc:(2*w+1)*bc], partial[(2*w+1)*bc:(2*w+2)*bc]
			ws := newScanBackwardScratch(a.Seq, n)
			for blk := w * nBlocks / workers; blk < (w+1)*nBlocks/workers; blk++ {
				for b := 0; b < a.Batch; b++ {
					s.backwardBlock(a, g, b, blk*scanBlock, ws, dB[b*a.Seq*n:], dC[b*a.Seq*n:], false)
				}
			}
		}(w)
	}
	wg.Wait()
	// dB, dC = Σ_workers partial, in worker order.
	for r := 0; r < a.Batch*a.Seq; r++ {
		db, dc := g.DB[r*g.LdDB:r*g.LdDB+n], g.DC[r*g.LdDC:r*g.LdDC+n]
		copy(db, partial[r*n:(r+1)*n])
		copy(dc, partial[bc+r*n:bc+(r+1)*n])
		for w := 1; w < workers; w++ {
			pb, pc := partial[2*w*bc+r*n:], partial[(2*w+1)*bc+r*n:]
			for k := range db {
				db[k] += pb[k]
				dc[k] += pc[k]
			}
		}
	}
}

// backwardBlock runs the backward of channels [d0, d0+scanBlock) of sequence
// b. It first gathers the block's columns of u, δ, z and dout into
// channel-major scratch and scatters du, dδ, dz back at the end, so the
// strided rows are read one cache line per block instead of per channel. In
// between it runs backwardChannels (the C kernel in the default build), or
// backwardChannel per channel when goTwin is set or in the purego build.
func (s *SelectiveScan) backwardBlock(a *ScanArgs, g *ScanGrads, b, d0 int, ws *scanBackwardScratch, dB, dC []float32, goTwin bool) {
	nd, L := min(scanBlock, s.DInner-d0), a.Seq
	gather := func(dst, src []float32, ld int) {
		for t := 0; t < L; t++ {
			for i, v := range src[(b*L+t)*ld+d0 : (b*L+t)*ld+d0+nd] {
				dst[i*L+t] = v
			}
		}
	}
	scatter := func(dst []float32, ld int, src []float32) {
		for t := 0; t < L; t++ {
			row := dst[(b*L+t)*ld+d0 : (b*L+t)*ld+d0+nd]
			for i := range row {
				row[i] = src[i*L+t]
			}
		}
	}
	gather(ws.u, a.U, a.LdU)
	gather(ws.delta, a.Delta, a.LdDelta)
	gather(ws.dout, g.DOut, g.LdDOut)
	if a.Z != nil {
		gather(ws.z, a.Z, a.LdZ)
	}
	if goTwin {
		for i := 0; i < nd; i++ {
			s.backwardChannel(a, g, b, d0+i, i*L, ws, dB, dC)
		}
	} else {
		s.backwardChannels(a, g, b, d0, nd, ws, dB, dC)
	}
	scatter(g.DU, g.LdDU, ws.du)
	scatter(g.DDelta, g.LdDDelta, ws.ddelta)
	if a.Z != nil {
		scatter(g.DZ, g.LdDZ, ws.dz)
	}
}

// backwardChannel recomputes the forward of channel d of sequence b, then
// runs the reverse recurrence of Backward. It reads the channel's u, δ, z,
// dout from ws at offset off (as gathered by backwardBlock), writes its du,
// dδ, dz there, accumulates dA, dD, dδ_bias of the channel, and adds the
// channel's share of dB and dC into dB, dC: (Seq, DState) packed.
func (s *SelectiveScan) backwardChannel(a *ScanArgs, g *ScanGrads, b, d, off int, ws *scanBackwardScratch, dB, dC []float32) {
	n, L := s.DState, a.Seq
	A := s.A[d*n : (d+1)*n]
	dA := g.DA[d*n : (d+1)*n]
	hs, abar, gh := ws.h, ws.abar, ws.g
	u, delta, dout := ws.u[off:off+L], ws.delta[off:off+L], ws.dout[off:off+L]
	du, ddelta := ws.du[off:off+L], ws.ddelta[off:off+L]
	row0 := b * L
	// Forward replay: h_t = ā_t⊙h_{t−1} + Δ_t·u_t·B_t, kept as hs[t+1] with
	// ā_t, Δ_t and ∂Δ_t/∂δ_t, so the reverse pass needs no exp or softplus.
	clear(hs[:n])
	for t := 0; t < L; t++ {
		r := row0 + t
		dt, spGrad := s.stepSize(delta[t], d)
		ws.dt[t], ws.spGrad[t] = dt, spGrad
		dtu := dt * u[t]
		bt := a.B[r*a.LdB : r*a.LdB+n]
		at := abar[t*n : (t+1)*n]
		expScaled(at, A, dt)
		prev, cur := hs[t*n:(t+1)*n], hs[(t+1)*n:(t+2)*n]
		for k := range cur {
			cur[k] = at[k]*prev[k] + dtu*bt[k]
		}
	}
	clear(gh)
	for t := L - 1; t >= 0; t-- {
		r := row0 + t
		dt, ut := ws.dt[t], u[t]
		bt := a.B[r*a.LdB : r*a.LdB+n]
		ct := a.C[r*a.LdC : r*a.LdC+n]
		at := abar[t*n : (t+1)*n]
		prev, cur := hs[t*n:(t+1)*n], hs[(t+1)*n:(t+2)*n]
		dy := dout[t]
		if a.Z != nil {
			// out = y·SiLU(z): recompute y = ⟨C_t, h_t⟩ + D·u_t for dz.
			var y float32
			for k, c := range ct {
				y += c * cur[k]
			}
			if s.D != nil {
				y += s.D[d] * ut
			}
			z := ws.z[off+t]
			ws.dz[off+t] = dy * y * siluGrad(z)
			dy *= SiLUScalar(z)
		}
		var dut, dDelta float32
		if s.D != nil {
			dut = s.D[d] * dy
			g.DD[d] += dy * ut
		}
		dbt, dct := dB[t*n:(t+1)*n], dC[t*n:(t+1)*n]
		for k := range gh {
			dct[k] += dy * cur[k]
			gk := gh[k] + dy*ct[k] // g_t
			ah := at[k] * prev[k]
			dDelta += gk * (A[k]*ah + bt[k]*ut)
			dA[k] += gk * dt * ah
			dbt[k] += gk * dt * ut
			dut += gk * dt * bt[k]
			gh[k] = gk * at[k] // ∂L/∂h_{t−1} through h_t
		}
		dDelta *= ws.spGrad[t]
		du[t], ddelta[t] = dut, dDelta
		if g.DDeltaBias != nil {
			g.DDeltaBias[d] += dDelta
		}
	}
}

// scanBackwardScratch is one worker's scratch for backwardBlock.
type scanBackwardScratch struct {
	h          []float32 // h_{−1} = 0, h_0, …, h_{Seq−1} of one channel: (Seq+1, DState)
	abar       []float32 // ā_t = exp(Δ_t·A) of one channel: (Seq, DState)
	g          []float32 // the state gradient g_t: (DState)
	dt, spGrad []float32 // Δ_t and ∂Δ_t/∂δ_t of one channel: (Seq)
	// The block's columns, channel-major: (scanBlock, Seq).
	u, delta, z, dout, du, ddelta, dz []float32
}

func newScanBackwardScratch(seq, n int) *scanBackwardScratch {
	col := func() []float32 { return make([]float32, scanBlock*seq) }
	return &scanBackwardScratch{h: make([]float32, (seq+1)*n), abar: make([]float32, seq*n), g: make([]float32, n),
		dt: make([]float32, seq), spGrad: make([]float32, seq),
		u: col(), delta: col(), z: col(), dout: col(), du: col(), ddelta: col(), dz: col()}
}

// stepSize returns Δ = softplus(δ + δ_bias[d]) (or δ + δ_bias[d]) and
// ∂Δ/∂δ, as the Go forward computes them.
func (s *SelectiveScan) stepSize(delta float32, d int) (dt, grad float32) {
	if s.DeltaBias != nil {
		delta += s.DeltaBias[d]
	}
	if !s.DeltaSoftplus {
		return delta, 1
	}
	return SoftplusScalar(delta), softplusGrad(delta)
}

// checkGrads panics when g does not fit a's sizes or when an optional
// gradient is present without its tensor (or missing with it).
func (s *SelectiveScan) checkGrads(a *ScanArgs, g *ScanGrads) {
	rows := a.Batch * a.Seq
	fits := func(x []float32, ld, width int) bool {
		return ld >= width && len(x) >= (rows-1)*ld+width
	}
	ok := a.State == nil &&
		fits(g.DOut, g.LdDOut, s.DInner) && fits(g.DU, g.LdDU, s.DInner) && fits(g.DDelta, g.LdDDelta, s.DInner) &&
		fits(g.DB, g.LdDB, s.DState) && fits(g.DC, g.LdDC, s.DState) &&
		(a.Z == nil) == (g.DZ == nil) && (g.DZ == nil || fits(g.DZ, g.LdDZ, s.DInner)) &&
		len(g.DA) >= s.DInner*s.DState &&
		(s.D == nil) == (g.DD == nil) && (g.DD == nil || len(g.DD) >= s.DInner) &&
		(s.DeltaBias == nil) == (g.DDeltaBias == nil) && (g.DDeltaBias == nil || len(g.DDeltaBias) >= s.DInner)
	if !ok {
		panic(fmt.Sprintf("nn.SelectiveScan.Backward: gradients do not fit batch %d seq %d dInner %d dState %d (or State is set: Backward starts from zero)",
			a.Batch, a.Seq, s.DInner, s.DState))
	}
}

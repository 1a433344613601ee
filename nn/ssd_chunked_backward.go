package nn

import (
	"runtime"
	"sync"

	"github.com/steady-ml/steady/kernel"
)

// SSDChunkedBackward computes the gradients of the SSD over whole sequences
// that started from a zero state, in the chunked matrix form of SSDChunked
// (ssd_minimal_discrete), chunk by chunk from the end: the transpose of each
// forward product, with the same chunk size. Arguments and conventions are
// those of SSDRecurrentBackward, its readable twin.
//
// Per chunk and head, with acs the cumulative log-decay, the decay mask
// L[l,s] = exp(acs_l − acs_s) (s ≤ l), M = (C·Bᵀ ∘ L)·diag(Δ),
// Cw_l = exp(acs_l)·C_l, Bw_s = exp(a_end − acs_s)·Δ_s·B_s, the incoming
// state h_in and the gradient G of the outgoing state:
//
//	forward:   Y = M·X + Cw·h_inᵀ;   h_out = exp(a_end)·h_in + Xᵀ·Bw
//	backward:  dX = Mᵀ·dY + Bw·Gᵀ;   dM = dY·Xᵀ;   dCw = dY·h_in;   dBw = X·G
//	           G_in = exp(a_end)·G + dYᵀ·Cw
//	           dC += (dM ∘ L ∘ Δ)·B + exp(acs)⊙dCw;   dB += (dM ∘ L ∘ Δ)ᵀ·C + exp(a_end − acs)·Δ⊙dBw
//	           dΔ_s = Σ_l dM[l,s]·(C·Bᵀ)[l,s]·L[l,s] + exp(a_end − acs_s)·⟨dBw_s, B_s⟩
//
// and the gradient of each acs (from L, Cw, Bw and exp(a_end)) becomes
// d(Δ·A) by a reverse cumulative sum. h_in of every chunk comes from a first
// forward pass over the states only.
//
// Memory and parallelism: heads are split into contiguous ranges, one per
// worker; each worker keeps the chunk-start states of one head
// ((L/Q)·HeadDim·DState), a few (Q, Q) and (Q, DState) matrices, and a
// private dB and dC (Batch·SeqLen·Groups·DState each, as the heads of a group
// all add into them), summed in worker order so the result depends only on
// GOMAXPROCS. The scratch is allocated per call.
func SSDChunkedBackward(g SSDGrads, in SSDInputs, d SSDDims, chunk int) {
	xs, bcs := checkSSDBackward(&g, &in, d)
	if chunk <= 0 {
		panic("nn.SSDChunkedBackward: non-positive chunk")
	}
	L, H, P, N, GN := d.SeqLen, d.Heads, d.HeadDim, d.DState, d.Groups*d.DState
	workers := min(runtime.GOMAXPROCS(0), H)
	if d.Batch*L*H*P*N < ssdMinParallel {
		workers = 1
	}
	bc := d.Batch * L * GN
	partial := make([]float32, workers*2*bc) // per worker: dB then dC, packed (Batch, SeqLen, Groups, DState)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			dB, dC := partial[2*w*bc:(2*w+1)*bc], partial[(2*w+1)*bc:(2*w+2)*bc]
			ws := newSSDBackwardScratch(min(chunk, L), (L+chunk-1)/chunk, P, N)
			for b := 0; b < d.Batch; b++ {
				for h := w * H / workers; h < (w+1)*H/workers; h++ {
					ssdHeadBackward(g, &in, d, ws, b, h, chunk, xs, bcs, dB, dC)
				}
			}
		}(w)
	}
	wg.Wait()
	// dB, dC = Σ_workers partial, in worker order.
	for r := 0; r < d.Batch*L; r++ {
		db, dc := g.DB[r*bcs:r*bcs+GN], g.DC[r*bcs:r*bcs+GN]
		copy(db, partial[r*GN:(r+1)*GN])
		copy(dc, partial[bc+r*GN:bc+(r+1)*GN])
		for w := 1; w < workers; w++ {
			pb, pc := partial[2*w*bc+r*GN:], partial[(2*w+1)*bc+r*GN:]
			for k := range db {
				db[k] += pb[k]
				dc[k] += pc[k]
			}
		}
	}
	addSkipBackward(g, &in, d, xs)
}

// ssdMinParallel is the work (Batch·SeqLen·Heads·HeadDim·DState) below which
// SSDChunkedBackward runs on the calling goroutine.
const ssdMinParallel = 1 << 17

// ssdHeadBackward runs SSDChunkedBackward for head h of sequence b, adding
// its share of dB and dC into dB, dC: (Batch, SeqLen, Groups, DState) packed.
func ssdHeadBackward(g SSDGrads, in *SSDInputs, d SSDDims, ws *ssdBackwardScratch, b, h, chunk, xs, bcs int, dB, dC []float32) {
	L, P, N := d.SeqLen, d.HeadDim, d.DState
	gr := h / (d.Heads / d.Groups)
	// Pass 1: the state entering each chunk.
	st := ws.hin[:P*N]
	clear(st)
	for c0 := 0; c0+chunk < L; c0 += chunk {
		q := min(chunk, L-c0)
		ws.prepare(in, d, b*L+c0, q, h, gr, bcs)
		next := ws.hin[(c0/chunk+1)*P*N : (c0/chunk+2)*P*N]
		copy(next, st)
		// h_out = exp(a_end)·h_in + Xᵀ (P, q) · Bw (q, N)
		kernel.Sgemm(true, false, P, N, q, 1, in.X[(b*L+c0)*xs+h*P:], xs, ws.bw, N, Exp32(float32(ws.acs[q-1])), next, N)
		st = next
	}
	// Pass 2: chunks from the end, carrying G.
	clear(ws.gst)
	gn := d.Groups * N
	for c0 := (L - 1) / chunk * chunk; c0 >= 0; c0 -= chunk {
		q := min(chunk, L-c0)
		row := b*L + c0
		ws.prepare(in, d, row, q, h, gr, bcs)
		ssdChunkBackward(g, in, d, ws, row, q, h, gr, xs, bcs, ws.hin[c0/chunk*P*N:(c0/chunk+1)*P*N],
			dB[row*gn+gr*N:], dC[row*gn+gr*N:], gn)
	}
}

// ssdBackwardScratch is the scratch of SSDChunkedBackward for chunks of up to
// q steps, the matrices of one chunk and head.
type ssdBackwardScratch struct {
	cb, m, dm []float32 // C·Bᵀ, M, dM then dM ∘ L ∘ Δ: (q, q)
	cw, bw    []float32 // Cw, Bw: (q, N)
	dcw, dbw  []float32 // dCw, dBw: (q, N)
	acs, dacs []float64 // cumsum of Δ·A and its gradient: (q)
	hin       []float32 // state entering each chunk: (chunks, P, N)
	gst       []float32 // G, the gradient of the state leaving the chunk: (P, N)
}

func newSSDBackwardScratch(q, chunks, p, n int) *ssdBackwardScratch {
	return &ssdBackwardScratch{
		cb: make([]float32, q*q), m: make([]float32, q*q), dm: make([]float32, q*q),
		cw: make([]float32, q*n), bw: make([]float32, q*n), dcw: make([]float32, q*n), dbw: make([]float32, q*n),
		acs: make([]float64, q), dacs: make([]float64, q),
		hin: make([]float32, chunks*p*n), gst: make([]float32, p*n)}
}

// prepare computes acs, C·Bᵀ, M, Cw and Bw of the chunk of q steps starting at
// row for head h (group gr), as ssdChunkHead does.
func (ws *ssdBackwardScratch) prepare(in *SSDInputs, d SSDDims, row, q, h, gr, bcs int) {
	H, N := d.Heads, d.DState
	var run float64
	for l := 0; l < q; l++ {
		run += float64(in.DA[(row+l)*H+h])
		ws.acs[l] = run
	}
	c, bg := in.C[row*bcs+gr*N:], in.B[row*bcs+gr*N:]
	// C·Bᵀ (q, q)
	kernel.Sgemm(false, true, q, q, N, 1, c, bcs, bg, bcs, 0, ws.cb, q)
	for l := 0; l < q; l++ {
		for s := 0; s < q; s++ {
			var v float32
			if s <= l {
				v = ws.cb[l*q+s] * Exp32(float32(ws.acs[l]-ws.acs[s])) * in.Dt[(row+s)*H+h]
			}
			ws.m[l*q+s] = v
		}
	}
	aEnd := ws.acs[q-1]
	for l := 0; l < q; l++ {
		ec := Exp32(float32(ws.acs[l]))
		eb := Exp32(float32(aEnd-ws.acs[l])) * in.Dt[(row+l)*H+h]
		cl, bl := c[l*bcs:l*bcs+N], bg[l*bcs:l*bcs+N]
		for n := 0; n < N; n++ {
			ws.cw[l*N+n] = ec * cl[n]
			ws.bw[l*N+n] = eb * bl[n]
		}
	}
}

// ssdChunkBackward is one chunk of SSDChunkedBackward for head h: ws holds the
// chunk's prepared matrices and G of the state leaving it, which it replaces
// with G of the state entering it; hin is that entering state (P, N). It adds
// the head's share of dB and dC into db, dc: (q, DState) rows ldbc apart.
func ssdChunkBackward(g SSDGrads, in *SSDInputs, d SSDDims, ws *ssdBackwardScratch, row, q, h, gr, xs, bcs int, hin, db, dc []float32, ldbc int) {
	H, P, N := d.Heads, d.HeadDim, d.DState
	x, dx := in.X[row*xs+h*P:], g.DX[row*xs+h*P:]
	dy := g.DY[(row*H+h)*P:]
	c, bg := in.C[row*bcs+gr*N:], in.B[row*bcs+gr*N:]
	aEnd := ws.acs[q-1]
	eEnd := Exp32(float32(aEnd))
	clear(ws.dacs[:q])
	// d a_end from h_out = exp(a_end)·h_in + …: exp(a_end)·⟨G, h_in⟩
	var dEnd float64
	for i, v := range ws.gst {
		dEnd += float64(v) * float64(hin[i])
	}
	dEnd *= float64(eEnd)
	// dX (q, P) = Mᵀ (q, q) · dY (q, P) + Bw (q, N) · Gᵀ (N, P)
	kernel.Sgemm(true, false, q, P, q, 1, ws.m, q, dy, H*P, 0, dx, xs)
	kernel.Sgemm(false, true, q, P, N, 1, ws.bw, N, ws.gst, N, 1, dx, xs)
	// dM (q, q) = dY (q, P) · Xᵀ (P, q);  dBw (q, N) = X (q, P) · G (P, N);  dCw (q, N) = dY (q, P) · h_in (P, N)
	kernel.Sgemm(false, true, q, q, P, 1, dy, H*P, x, xs, 0, ws.dm, q)
	kernel.Sgemm(false, false, q, N, P, 1, x, xs, ws.gst, N, 0, ws.dbw, N)
	kernel.Sgemm(false, false, q, N, P, 1, dy, H*P, hin, N, 0, ws.dcw, N)
	// G_in (P, N) = exp(a_end)·G + dYᵀ (P, q) · Cw (q, N)
	kernel.Sgemm(true, false, P, N, q, 1, dy, H*P, ws.cw, N, eEnd, ws.gst, N)
	// Through M[l,s] = (C·Bᵀ)[l,s]·exp(acs_l − acs_s)·Δ_s: dΔ_s, dacs, and dM ← dM ∘ L ∘ Δ for dC, dB.
	dt := in.Dt[row*H+h:]
	ddt := g.DDt[row*H+h:]
	for s := 0; s < q; s++ {
		ddt[s*H] = 0
	}
	for l := 0; l < q; l++ {
		for s := 0; s <= l; s++ {
			gm := ws.dm[l*q+s]
			t := float64(gm * ws.m[l*q+s])
			ws.dacs[l] += t
			ws.dacs[s] -= t
			e := Exp32(float32(ws.acs[l] - ws.acs[s]))
			ddt[s*H] += gm * ws.cb[l*q+s] * e
			ws.dm[l*q+s] = gm * e * dt[s*H]
		}
		clear(ws.dm[l*q+l+1 : (l+1)*q])
	}
	// dC (q, N) += dM' (q, q) · B (q, N);  dB (q, N) += dM'ᵀ (q, q) · C (q, N)
	kernel.Sgemm(false, false, q, N, q, 1, ws.dm, q, bg, bcs, 1, dc, ldbc)
	kernel.Sgemm(true, false, q, N, q, 1, ws.dm, q, c, bcs, 1, db, ldbc)
	// Through Cw_l = exp(acs_l)·C_l and Bw_s = exp(a_end − acs_s)·Δ_s·B_s.
	for l := 0; l < q; l++ {
		ec := Exp32(float32(ws.acs[l]))
		eb := Exp32(float32(aEnd - ws.acs[l]))
		cl, bl := c[l*bcs:l*bcs+N], bg[l*bcs:l*bcs+N]
		dcl, dbl := dc[l*ldbc:l*ldbc+N], db[l*ldbc:l*ldbc+N]
		dcwl, dbwl := ws.dcw[l*N:(l+1)*N], ws.dbw[l*N:(l+1)*N]
		var cdot, bdot float64
		for n := 0; n < N; n++ {
			dcl[n] += ec * dcwl[n]
			dbl[n] += eb * dt[l*H] * dbwl[n]
			cdot += float64(dcwl[n] * cl[n])
			bdot += float64(dbwl[n] * bl[n])
		}
		ws.dacs[l] += float64(ec) * cdot
		w := float64(eb*dt[l*H]) * bdot
		dEnd += w
		ws.dacs[l] -= w
		ddt[l*H] += eb * float32(bdot)
	}
	// acs_l = Σ_{r≤l} a_r, a_end = acs_{q−1}: d a_r = Σ_{l≥r} dacs_l.
	ws.dacs[q-1] += dEnd
	dda := g.DDA[row*H+h:]
	var run float64
	for r := q - 1; r >= 0; r-- {
		run += ws.dacs[r]
		dda[r*H] = float32(run)
	}
}

// addSkipBackward adds the gradients of the skip y += D·x: dx += D·dy and
// dD += Σ dy⊙x (per head, or per channel when len(D) is Heads·HeadDim).
func addSkipBackward(g SSDGrads, in *SSDInputs, d SSDDims, xs int) {
	if in.D == nil {
		return
	}
	H, P := d.Heads, d.HeadDim
	perChannel := len(in.D) == H*P
	for row := 0; row < d.Batch*d.SeqLen; row++ {
		x, dx := in.X[row*xs:row*xs+H*P], g.DX[row*xs:row*xs+H*P]
		dy := g.DY[row*H*P : (row+1)*H*P]
		for i, v := range x {
			j := i / P
			if perChannel {
				j = i
			}
			dx[i] += in.D[j] * dy[i]
			g.DD[j] += dy[i] * v
		}
	}
}

package nn

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

// SSD is the scan of Mamba-2's state-space dual layer (Dao & Gu 2024,
// "Transformers are SSMs", §6): a selective SSM whose state matrix is a
// scalar a_t = Δ_t·A per head, so the per-head recurrence
//
//	h_t = exp(Δ_t·A)·h_{t−1} + Δ_t·x_t·B_tᵀ        h: (HeadDim, DState)
//	y_t = h_t·C_t + D·x_t                           y: (HeadDim)
//
// can be evaluated chunk by chunk with matrix products (SSDChunked) or one
// step at a time (SSDRecurrent, the readable twin, also used for decoding).
//
// Glossary (Go ↔ paper ↔ mamba_ssm): Heads H = nheads, HeadDim P = headdim,
// Groups G = ngroups, DState N = d_state, chunk Q = chunk_size, Dt Δ = dt
// after softplus, DA Δ·A = A·dt (ssd_minimal_discrete's A argument),
// X·Δ = ssd_minimal_discrete's X.
//
// Precision: every input, the state and the output are float32; the
// cumulative log-decays inside a chunk are summed in float64 (their
// differences feed exp, and a float32 cumsum loses the small differences
// between large sums), then each difference is rounded to float32 once.
type SSDDims struct {
	Batch   int // batch
	SeqLen  int // L, time steps in this call
	Heads   int // H, heads (nheads)
	HeadDim int // P, channels per head (headdim)
	Groups  int // G, groups sharing B and C (ngroups); Heads must be a multiple; head h uses group h/(Heads/Groups)
	DState  int // N, state size per channel (d_state)
}

// SSDInputs are the operands of one SSD call. X, B and C may be column blocks
// of a wider matrix (mamba_ssm's xBC after the conv): consecutive time steps
// are XStride and BCStride elements apart (0 means packed).
type SSDInputs struct {
	X        []float32 // x: (Batch, SeqLen, Heads, HeadDim), time stride XStride (default Heads·HeadDim)
	Dt       []float32 // Δ: (Batch, SeqLen, Heads), the step sizes after softplus
	DA       []float32 // Δ·A: (Batch, SeqLen, Heads), the log-decay of each step (≤ 0 for a stable SSM)
	B        []float32 // B: (Batch, SeqLen, Groups, DState), time stride BCStride (default Groups·DState)
	C        []float32 // C: (Batch, SeqLen, Groups, DState), time stride BCStride
	D        []float32 // D: (Heads) or (Heads·HeadDim) skip weights (D_has_hdim), nil for none
	XStride  int       // elements between x rows of consecutive time steps; 0 means Heads·HeadDim
	BCStride int       // elements between B (and C) rows of consecutive time steps; 0 means Groups·DState
}

// expUnderflow is the log of the smallest normal float32: Exp32 is 0 below it.
const expUnderflow = -87.33654475055310898657

// SSDWorkspace holds the scratch of SSDChunked for one chunk size and state
// size; make it once with NewSSDWorkspace and reuse it across calls.
type SSDWorkspace struct {
	chunk, dState int
	cb            []float32 // C·Bᵀ of one chunk and group: (Q, Q)
	m             []float32 // (C·Bᵀ ∘ L)·diag(Δ) of one head: (Q, Q)
	cw            []float32 // exp(cumsum a)_l · C_l: (Q, N)
	bw            []float32 // exp(a_end − cumsum a)_s · Δ_s · B_s: (Q, N)
	acs           []float64 // cumsum of a = Δ·A within the chunk: (Q)
}

// NewSSDWorkspace returns scratch for chunks of up to chunk steps and states
// of dState entries per channel.
func NewSSDWorkspace(chunk, dState int) *SSDWorkspace {
	if chunk <= 0 || dState <= 0 {
		panic(fmt.Sprintf("nn.NewSSDWorkspace: non-positive chunk %d or dState %d", chunk, dState))
	}
	return &SSDWorkspace{
		chunk: chunk, dState: dState,
		cb:  make([]float32, chunk*chunk),
		m:   make([]float32, chunk*chunk),
		cw:  make([]float32, chunk*dState),
		bw:  make([]float32, chunk*dState),
		acs: make([]float64, chunk),
	}
}

// Chunk is the largest chunk the workspace serves.
func (ws *SSDWorkspace) Chunk() int { return ws.chunk }

// SSDChunked runs the SSD in its chunked matrix form, the algorithm of
// mamba_ssm modules/ssd_minimal.py ssd_minimal_discrete (paper Listing 1),
// with x·Δ folded into the products and the inter-chunk state passing done as
// a running state, chunk after chunk.
//
//	y:     (Batch, SeqLen, Heads, HeadDim), overwritten; must not overlap the inputs
//	state: (Batch, Heads, HeadDim, DState), read as the initial state (zeros for
//	       none) and overwritten with the final state
//
// The sequence is cut into chunks of ws.Chunk() steps (the last may be
// shorter, which equals the reference's zero padding). Nothing is allocated.
func SSDChunked(y, state []float32, in SSDInputs, d SSDDims, ws *SSDWorkspace) {
	xs, bcs := checkSSD(y, state, &in, d)
	if ws == nil || ws.dState < d.DState {
		panic("nn.SSDChunked: workspace missing or made for a smaller DState")
	}
	L, H, G, N, Q := d.SeqLen, d.Heads, d.Groups, d.DState, ws.chunk
	hpg := H / G
	for b := 0; b < d.Batch; b++ {
		for c0 := 0; c0 < L; c0 += Q {
			q := min(Q, L-c0)
			row := b*L + c0 // first (b, t) row of the chunk
			for g := 0; g < G; g++ {
				// 1a. C·Bᵀ (q, q) for the chunk, shared by the heads of group g:
				//     (C·Bᵀ)[l,s] = C_l·B_s   (ssd_minimal "bclhn,bcshn").
				bc := row*bcs + g*N
				kernel.Sgemm(false, true, q, q, N, 1, in.C[bc:], bcs, in.B[bc:], bcs, 0, ws.cb, q)
				for h := g * hpg; h < (g+1)*hpg; h++ {
					ssdChunkHead(y, state, &in, d, ws, b, row, q, h, g, xs, bcs)
				}
			}
		}
	}
	addSkip(y, &in, d, xs)
}

// ssdChunkHead does one chunk of one head: intra-chunk output, inter-chunk
// output from the incoming state, and the state update (ssd_minimal steps 1–4).
// ws.cb holds C·Bᵀ of the chunk for this head's group.
func ssdChunkHead(y, state []float32, in *SSDInputs, d SSDDims, ws *SSDWorkspace, b, row, q, h, g, xs, bcs int) {
	H, P, N := d.Heads, d.HeadDim, d.DState
	dt := in.Dt[row*H+h:]
	da := in.DA[row*H+h:]
	// acs[l] = Σ_{s≤l} a_s, the cumulative log-decay ("A_cumsum").
	var run float64
	decaying := true // every a_s ≤ 0, so acs is non-increasing
	for l := 0; l < q; l++ {
		a := float64(da[l*H])
		decaying = decaying && a <= 0
		run += a
		ws.acs[l] = run
	}
	aEnd := ws.acs[q-1]
	// 1b. M = (C·Bᵀ ∘ L)·diag(Δ), with the decay mask L[l,s] = exp(Σ_{s<r≤l} a_r)
	//     = exp(acs[l] − acs[s]) for s ≤ l and 0 above the diagonal ("segsum").
	//     When acs is non-increasing, once exp underflows (Exp32 gives 0 below
	//     ln of the smallest normal float32) it stays 0 for every earlier s.
	for l := 0; l < q; l++ {
		mr := ws.m[l*q : (l+1)*q]
		cbr := ws.cb[l*q : (l+1)*q]
		s := l
		for ; s >= 0; s-- {
			e := ws.acs[l] - ws.acs[s]
			if decaying && e < expUnderflow {
				break
			}
			mr[s] = cbr[s] * Exp32(float32(e)) * dt[s*H]
		}
		clear(mr[:s+1])
		clear(mr[l+1:])
	}
	x := in.X[row*xs+h*P:]
	yh := y[(row*H+h)*P:]
	st := state[(b*H+h)*P*N:]
	// 1c. Y_diag (q, P) = M (q, q) · X (q, P)   ("bclhn,bcshn,bhcls,bcshp->bclhp").
	kernel.Sgemm(false, false, q, P, q, 1, ws.m, q, x, xs, 0, yh, H*P)
	// 4. Y_off[l] = exp(acs[l]) · h_in·C_l: Y += Cw (q, N) · h_inᵀ (N, P)
	//    with Cw[l] = exp(acs[l])·C_l   ("bclhn,bchpn,bhcl->bclhp").
	c := in.C[row*bcs+g*N:]
	bg := in.B[row*bcs+g*N:]
	for l := 0; l < q; l++ {
		e := Exp32(float32(ws.acs[l]))
		cl, wl := c[l*bcs:l*bcs+N], ws.cw[l*N:(l+1)*N]
		for n, v := range cl {
			wl[n] = e * v
		}
	}
	kernel.Sgemm(false, true, q, P, N, 1, ws.cw, N, st, N, 1, yh, H*P)
	// 2–3. h_out = exp(acs[q−1])·h_in + Σ_s exp(acs[q−1] − acs[s])·Δ_s·x_s·B_sᵀ
	//      = exp(a_end)·h_in + Xᵀ (P, q) · Bw (q, N)   ("decay_states", "bhzc,bchpn").
	for s := 0; s < q; s++ {
		e := Exp32(float32(aEnd-ws.acs[s])) * dt[s*H]
		bs, wr := bg[s*bcs:s*bcs+N], ws.bw[s*N:(s+1)*N]
		for n, v := range bs {
			wr[n] = e * v
		}
	}
	kernel.Sgemm(true, false, P, N, q, 1, x, xs, ws.bw, N, Exp32(float32(aEnd)), st, N)
}

// SSDRecurrent runs the SSD one time step at a time, the sequential
// recurrence (mamba_ssm Mamba2.step; paper eq. (1) with scalar A):
//
//	h_t = exp(Δ_t·A)·h_{t−1} + Δ_t·x_t·B_tᵀ
//	y_t = h_t·C_t + D·x_t
//
// Arguments and aliasing are as for SSDChunked. It is the readable twin the
// chunked form is tested against, and the decode step. Nothing is allocated.
func SSDRecurrent(y, state []float32, in SSDInputs, d SSDDims) {
	xs, bcs := checkSSD(y, state, &in, d)
	L, H, P, N := d.SeqLen, d.Heads, d.HeadDim, d.DState
	hpg := H / d.Groups
	for b := 0; b < d.Batch; b++ {
		for t := 0; t < L; t++ {
			row := b*L + t
			for h := 0; h < H; h++ {
				dt := in.Dt[row*H+h]
				decay := Exp32(in.DA[row*H+h]) // exp(Δ·A)
				g := h / hpg
				bt := in.B[row*bcs+g*N : row*bcs+(g+1)*N]
				ct := in.C[row*bcs+g*N : row*bcs+(g+1)*N]
				xt := in.X[row*xs+h*P : row*xs+(h+1)*P]
				yt := y[(row*H+h)*P : (row*H+h+1)*P]
				st := state[(b*H+h)*P*N : (b*H+h+1)*P*N]
				for p, xp := range xt {
					hp := st[p*N : (p+1)*N]
					dx := dt * xp
					var acc float32
					for n := range hp {
						v := decay*hp[n] + dx*bt[n]
						hp[n] = v
						acc += v * ct[n]
					}
					yt[p] = acc
				}
			}
		}
	}
	addSkip(y, &in, d, xs)
}

// addSkip adds the skip term y += D·x (per head, or per channel when len(D)
// is Heads·HeadDim).
func addSkip(y []float32, in *SSDInputs, d SSDDims, xs int) {
	if in.D == nil {
		return
	}
	H, P := d.Heads, d.HeadDim
	perChannel := len(in.D) == H*P
	for row := 0; row < d.Batch*d.SeqLen; row++ {
		x := in.X[row*xs : row*xs+H*P]
		yr := y[row*H*P : (row+1)*H*P]
		for i, v := range x {
			dd := in.D[i/P]
			if perChannel {
				dd = in.D[i]
			}
			yr[i] += dd * v
		}
	}
}

// checkSSD panics on inconsistent sizes and returns the x and B/C time strides.
func checkSSD(y, state []float32, in *SSDInputs, d SSDDims) (xs, bcs int) {
	if d.Batch <= 0 || d.SeqLen <= 0 || d.Heads <= 0 || d.HeadDim <= 0 || d.Groups <= 0 || d.DState <= 0 || d.Heads%d.Groups != 0 {
		panic(fmt.Sprintf("nn.SSD: bad dims %+v", d))
	}
	H, P, N := d.Heads, d.HeadDim, d.DState
	xs, bcs = in.XStride, in.BCStride
	if xs == 0 {
		xs = H * P
	}
	if bcs == 0 {
		bcs = d.Groups * N
	}
	rows := d.Batch * d.SeqLen
	switch {
	case xs < H*P || bcs < d.Groups*N:
		panic(fmt.Sprintf("nn.SSD: strides x %d, B/C %d below the row widths %d, %d", xs, bcs, H*P, d.Groups*N))
	case len(in.X) < (rows-1)*xs+H*P, len(in.B) < (rows-1)*bcs+d.Groups*N, len(in.C) < (rows-1)*bcs+d.Groups*N:
		panic(fmt.Sprintf("nn.SSD: x %d, B %d, C %d elements too short for %d rows", len(in.X), len(in.B), len(in.C), rows))
	case len(in.Dt) < rows*H || len(in.DA) < rows*H:
		panic(fmt.Sprintf("nn.SSD: Δ %d, Δ·A %d elements, want %d", len(in.Dt), len(in.DA), rows*H))
	case in.D != nil && len(in.D) != H && len(in.D) != H*P:
		panic(fmt.Sprintf("nn.SSD: D has %d elements, want Heads %d or Heads·HeadDim %d", len(in.D), H, H*P))
	case len(y) < rows*H*P || len(state) < d.Batch*H*P*N:
		panic(fmt.Sprintf("nn.SSD: y %d, state %d elements, want %d and %d", len(y), len(state), rows*H*P, d.Batch*H*P*N))
	}
	return xs, bcs
}

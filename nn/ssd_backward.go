package nn

import (
	"fmt"
	"math"
)

// SSDGrads are the gradients of one SSDChunkedBackward or SSDRecurrentBackward call. dx, dB and dC use the
// layouts and time strides of X, B and C in the SSDInputs (XStride,
// BCStride), so they can be column blocks of the gradient of mamba_ssm's xBC.
//
// Gradient convention: dx, dΔ, d(Δ·A), dB, dC are written; dD accumulates.
// The caller chains Δ = softplus(dt + dt_bias) and Δ·A itself:
// dΔ_total = dΔ + d(Δ·A)·A and dA += Σ d(Δ·A)·Δ.
type SSDGrads struct {
	DY  []float32 // dy: (Batch, SeqLen, Heads, HeadDim) packed; the incoming gradient
	DX  []float32 // dx: (Batch, SeqLen, Heads, HeadDim), time stride XStride; written
	DDt []float32 // dΔ: (Batch, SeqLen, Heads); written
	DDA []float32 // d(Δ·A): (Batch, SeqLen, Heads); written
	DB  []float32 // dB: (Batch, SeqLen, Groups, DState), time stride BCStride; written
	DC  []float32 // dC: (Batch, SeqLen, Groups, DState), time stride BCStride; written
	DD  []float32 // dD: like SSDInputs.D, accumulated; nil exactly when D is
}

// SSDRecurrentBackward computes the gradients of the SSD (SSDRecurrent or
// SSDChunked) over whole sequences that started from a zero state, through
// the sequential recurrence: per head, with decay e_t = exp(Δ_t·A), state
// gradient G_t = ∂L/∂h_t (HeadDim, DState) carried backwards from G_L = 0:
//
//	G_t      = e_{t+1}·G_{t+1} + dy_t·C_tᵀ
//	dC_t    += h_tᵀ·dy_t                         (summed over the heads of the group)
//	d(Δ·A)_t = e_t·⟨G_t, h_{t−1}⟩
//	dΔ_t     = x_tᵀ·G_t·B_t
//	dx_t     = Δ_t·G_t·B_t + D⊙dy_t;   dB_t += Δ_t·G_tᵀ·x_t;   dD += dy_t⊙x_t
//
// Memory: Forward saves nothing. Backward replays each head's recurrence
// keeping the state at every ⌈√L⌉-th step, then, chunk by chunk from the
// end, recomputes the chunk's states from its first one and walks back
// through it: (⌈L/Q⌉ + Q + 2)·HeadDim·DState floats for Q = ⌈√L⌉, for twice the
// forward's arithmetic. The scratch is allocated per call.
//
// This is the readable form, sequential over batch and heads and one step at
// a time, that SSDChunkedBackward is tested against.
func SSDRecurrentBackward(g SSDGrads, in SSDInputs, d SSDDims) {
	xs, bcs := checkSSDBackward(&g, &in, d)
	L, H, P, N := d.SeqLen, d.Heads, d.HeadDim, d.DState
	q := int(math.Ceil(math.Sqrt(float64(L))))
	nChunks := (L + q - 1) / q
	bounds := make([]float32, nChunks*P*N) // state before each chunk's first step
	hs := make([]float32, (q+1)*P*N)       // states of one chunk: h_{t0−1}, …, h_{t0+q−1}
	gh := make([]float32, P*N)             // G_t
	for b := 0; b < d.Batch; b++ {
		for t := 0; t < L; t++ {
			row := b*L + t
			for gr := 0; gr < d.Groups; gr++ {
				clear(g.DB[row*bcs+gr*N : row*bcs+(gr+1)*N])
				clear(g.DC[row*bcs+gr*N : row*bcs+(gr+1)*N])
			}
		}
		for h := 0; h < H; h++ {
			st := hs[:P*N]
			clear(st)
			for t := 0; t < L; t++ {
				if t%q == 0 {
					copy(bounds[t/q*P*N:], st)
				}
				ssdStep(st, st, &in, d, b, t, h, xs, bcs)
			}
			clear(gh)
			for c := nChunks - 1; c >= 0; c-- {
				t0, t1 := c*q, min(L, (c+1)*q)
				copy(hs[:P*N], bounds[c*P*N:(c+1)*P*N])
				for t := t0; t < t1; t++ {
					ssdStep(hs[(t-t0+1)*P*N:(t-t0+2)*P*N], hs[(t-t0)*P*N:(t-t0+1)*P*N], &in, d, b, t, h, xs, bcs)
				}
				for t := t1 - 1; t >= t0; t-- {
					ssdStepBackward(g, gh, hs[(t-t0+1)*P*N:(t-t0+2)*P*N], hs[(t-t0)*P*N:(t-t0+1)*P*N], &in, d, b, t, h, xs, bcs)
				}
			}
		}
	}
}

// ssdStep writes dst = exp(Δ_t·A)·src + Δ_t·x_t·B_tᵀ for head h of sequence
// b at time t; dst may alias src. dst, src: (HeadDim, DState).
func ssdStep(dst, src []float32, in *SSDInputs, d SSDDims, b, t, h, xs, bcs int) {
	H, P, N := d.Heads, d.HeadDim, d.DState
	row := b*d.SeqLen + t
	dt, decay := in.Dt[row*H+h], Exp32(in.DA[row*H+h])
	g := h / (H / d.Groups)
	bt := in.B[row*bcs+g*N : row*bcs+(g+1)*N]
	xt := in.X[row*xs+h*P : row*xs+(h+1)*P]
	for p, xp := range xt {
		dx := dt * xp
		s, o := src[p*N:(p+1)*N], dst[p*N:(p+1)*N]
		for n, bn := range bt {
			o[n] = decay*s[n] + dx*bn
		}
	}
}

// ssdStepBackward is one reverse step of SSDRecurrentBackward for head h of sequence
// b at time t: cur = h_t, prev = h_{t−1} (HeadDim, DState); gh holds G_{t+1}
// scaled by e_{t+1} on entry and e_t·G_t on return.
func ssdStepBackward(g SSDGrads, gh, cur, prev []float32, in *SSDInputs, d SSDDims, b, t, h, xs, bcs int) {
	H, P, N := d.Heads, d.HeadDim, d.DState
	row := b*d.SeqLen + t
	dt, decay := in.Dt[row*H+h], Exp32(in.DA[row*H+h])
	gr := h / (H / d.Groups)
	bt := in.B[row*bcs+gr*N : row*bcs+(gr+1)*N]
	ct := in.C[row*bcs+gr*N : row*bcs+(gr+1)*N]
	dbt := g.DB[row*bcs+gr*N : row*bcs+(gr+1)*N]
	dct := g.DC[row*bcs+gr*N : row*bcs+(gr+1)*N]
	xt := in.X[row*xs+h*P : row*xs+(h+1)*P]
	dxt := g.DX[row*xs+h*P : row*xs+(h+1)*P]
	dyt := g.DY[(row*H+h)*P : (row*H+h+1)*P]
	var dDA, dDt float32
	for p, xp := range xt {
		dy := dyt[p]
		gp, hc, hp := gh[p*N:(p+1)*N], cur[p*N:(p+1)*N], prev[p*N:(p+1)*N]
		var gb, gprev float32 // ⟨G_t[p], B_t⟩, ⟨G_t[p], h_{t−1}[p]⟩
		for n := range gp {
			dct[n] += dy * hc[n]
			v := gp[n] + dy*ct[n] // G_t[p,n]
			gb += v * bt[n]
			gprev += v * hp[n]
			dbt[n] += dt * v * xp
			gp[n] = decay * v
		}
		dDA += decay * gprev
		dDt += xp * gb
		dxt[p] = dt * gb
		if in.D != nil {
			dd := h
			if len(in.D) == H*P {
				dd = h*P + p
			}
			dxt[p] += in.D[dd] * dy
			g.DD[dd] += dy * xp
		}
	}
	g.DDA[row*H+h] = dDA
	g.DDt[row*H+h] = dDt
}

// checkSSDBackward panics when the inputs or g do not fit d (the checks of
// checkSSD, whose state argument Backward has no use for) and returns the x
// and B/C time strides.
func checkSSDBackward(g *SSDGrads, in *SSDInputs, d SSDDims) (xs, bcs int) {
	if d.Batch <= 0 || d.SeqLen <= 0 || d.Heads <= 0 || d.HeadDim <= 0 || d.Groups <= 0 || d.DState <= 0 || d.Heads%d.Groups != 0 {
		panic(fmt.Sprintf("nn.SSDBackward: bad dims %+v", d))
	}
	rows, H, P, GN := d.Batch*d.SeqLen, d.Heads, d.HeadDim, d.Groups*d.DState
	xs, bcs = in.XStride, in.BCStride
	if xs == 0 {
		xs = H * P
	}
	if bcs == 0 {
		bcs = GN
	}
	fits := func(x []float32, ld, width int) bool { return ld >= width && len(x) >= (rows-1)*ld+width }
	ok := fits(in.X, xs, H*P) && fits(g.DX, xs, H*P) && fits(in.B, bcs, GN) && fits(in.C, bcs, GN) &&
		fits(g.DB, bcs, GN) && fits(g.DC, bcs, GN) && len(g.DY) >= rows*H*P &&
		len(in.Dt) >= rows*H && len(in.DA) >= rows*H && len(g.DDt) >= rows*H && len(g.DDA) >= rows*H &&
		(in.D == nil || len(in.D) == H || len(in.D) == H*P) && (in.D == nil) == (g.DD == nil) && len(g.DD) == len(in.D)
	if !ok {
		panic(fmt.Sprintf("nn.SSDBackward: inputs or gradients do not fit dims %+v (x stride %d, B/C stride %d), or dD does not match D", d, xs, bcs))
	}
	return xs, bcs
}

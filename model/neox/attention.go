package neox

import (
	"github.com/steady-ml/steady/nn"
)

// attend computes the attention of seq new queries (HF GPTNeoXAttention._attn,
// eager): nn.Attention.Forward in float32, castAttend under autocast.
//
//	q: (batch, heads, seq, headSize)   k, v: (batch, heads, capacity, headSize)
//	probs: (batch, heads, seq, past+seq)   out: (batch, seq, hidden)
func (m *Model) attend(out, probs, q, k, v []float32, batch, seq, past, capacity int) {
	if m.cast == nn.AutocastOff {
		m.attn.Forward(out, probs, q, k, v, batch, seq, past, capacity)
		return
	}
	m.castAttend(out, probs, q, k, v, batch, seq, past, capacity)
}

// castAttend is attention under autocast, per (batch, head), each op
// computed in float32 from half operands and rounded once:
//
//	S = round(Scale·q̃·k̃ᵀ)             torch.baddbmm(zeros, q, kᵀ, alpha=norm_factor): half q̃, k̃
//	P = round(softmax(S + mask))       softmax of a half tensor, float32 inside (torch's kernel)
//	O = round(P·ṽ)                     torch.matmul(attn_weights, value)
//
// The masked scores are finfo.min in HF and get probability 0 here as there.
func (m *Model) castAttend(out, probs, q, k, v []float32, batch, seq, past, capacity int) {
	a, c := m.attn, m.cast
	hs, width, keys := a.HeadSize, a.Heads*a.HeadSize, past+seq
	for b := 0; b < batch; b++ {
		for h := 0; h < a.Heads; h++ {
			bh := b*a.Heads + h
			qh := q[bh*seq*hs:]
			kh, vh := k[bh*capacity*hs:], v[bh*capacity*hs:]
			ph := probs[bh*seq*keys : (bh+1)*seq*keys]
			// S (seq, keys) = round(Scale · q̃ (seq, hs) · k̃ᵀ (hs, keys))
			c.Gemm(false, true, seq, keys, hs, a.Scale, qh, hs, kh, hs, 0, ph, keys)
			for t := 0; t < seq; t++ {
				causalSoftmax(ph[t*keys:(t+1)*keys], past+t+1)
			}
			c.Round(ph) // P = round(softmax(S))
			// O (seq, hs) = round(P (seq, keys) · ṽ (keys, hs)), into the head's columns of out
			c.Gemm(false, false, seq, hs, keys, 1, ph, keys, vh, hs, 0, out[b*seq*width+h*hs:], width)
		}
	}
}

// causalSoftmax replaces row with softmax(row[:visible]) followed by zeros,
// as nn.Attention does: p_j = exp(s_j − max s) / Σ_{j'<visible} exp(s_j' −
// max s), the normaliser accumulated in float64.
func causalSoftmax(row []float32, visible int) {
	s := row[:visible]
	mx := s[0]
	for _, x := range s[1:] {
		mx = max(mx, x)
	}
	var sum float64
	for j, x := range s {
		e := nn.Exp32(x - mx)
		s[j] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for j := range s {
		s[j] *= inv
	}
	clear(row[visible:])
}

// attendBackward is attend's backward for a training forward (past 0,
// capacity seq): nn.Attention.Backward in float32, castAttendBackward under
// autocast. dprobs is scratch (batch, heads, seq, seq).
func (m *Model) attendBackward(dq, dk, dv, dprobs, dout, probs, q, k, v []float32, batch, seq int) {
	if m.cast == nn.AutocastOff {
		m.attn.Backward(dq, dk, dv, dprobs, dout, probs, q, k, v, batch, seq, 0, seq)
		return
	}
	m.castAttendBackward(dq, dk, dv, dprobs, dout, probs, q, k, v, batch, seq)
}

// castAttendBackward is the backward of castAttend per (batch, head), each
// half gradient computed in float32 from half operands and rounded once
// (torch's bmm, _softmax_backward_data and baddbmm backwards; baddbmm's
// alpha is a separate mul.Scalar, so dQ and dK round twice):
//
//	dV = round(Pᵀ·dO),  dP = round(dO·ṽᵀ),  dS = round(P ⊙ (dP − rowsum(dP ⊙ P)))
//	dQ = round(Scale·round(dS·k̃)),  dK = round(Scale·round(dSᵀ·q̃))
//
// dout is half (the gradient of the half context from attention.dense's
// backward); dq, dk, dv are written, (batch, heads, seq, headSize).
func (m *Model) castAttendBackward(dq, dk, dv, dprobs, dout, probs, q, k, v []float32, batch, seq int) {
	a, c := m.attn, m.cast
	hs, width := a.HeadSize, a.Heads*a.HeadSize
	for b := 0; b < batch; b++ {
		for h := 0; h < a.Heads; h++ {
			bh := b*a.Heads + h
			off := bh * seq * hs
			ph, dph := probs[bh*seq*seq:(bh+1)*seq*seq], dprobs[bh*seq*seq:(bh+1)*seq*seq]
			doh := dout[b*seq*width+h*hs:]
			// dV (seq, hs) = round(Pᵀ (seq, seq) · dO (seq, hs))
			c.Gemm(true, false, seq, hs, seq, 1, ph, seq, doh, width, 0, dv[off:], hs)
			// dP (seq, seq) = round(dO (seq, hs) · ṽᵀ (hs, seq))
			c.Gemm(false, true, seq, seq, hs, 1, doh, width, v[off:], hs, 0, dph, seq)
			for t := 0; t < seq; t++ {
				softmaxBackward(dph[t*seq:(t+1)*seq], ph[t*seq:(t+1)*seq])
			}
			c.Round(dph) // dS = round(P ⊙ (dP − rowsum(dP ⊙ P)))
			// dQ (seq, hs) = round(Scale · round(dS (seq, seq) · k̃ (seq, hs)))
			c.Gemm(false, false, seq, hs, seq, 1, dph, seq, k[off:], hs, 0, dq[off:], hs)
			m.scaleHalf(dq[off:off+seq*hs], a.Scale)
			// dK (seq, hs) = round(Scale · round(dSᵀ (seq, seq) · q̃ (seq, hs)))
			c.Gemm(true, false, seq, hs, seq, 1, dph, seq, q[off:], hs, 0, dk[off:], hs)
			m.scaleHalf(dk[off:off+seq*hs], a.Scale)
		}
	}
}

// softmaxBackward turns dp into ds = p ⊙ (dp − Σ_j dp_j·p_j) in place, the
// sum in float64, as nn.Attention.Backward; masked entries (p = 0) get 0.
func softmaxBackward(dp, p []float32) {
	var dot float64
	for j, x := range p {
		dot += float64(dp[j]) * float64(x)
	}
	d := float32(dot)
	for j, x := range p {
		dp[j] = x * (dp[j] - d)
	}
}

// scaleHalf writes x = round(s·x), torch's mul.Scalar of a half tensor.
func (m *Model) scaleHalf(x []float32, s float32) {
	for i, v := range x {
		x[i] = s * v
	}
	m.cast.Round(x)
}

package nn

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

// Attention is causal multi-head scaled-dot-product attention (Vaswani et al.
// 2017, eq. 1) of new queries against a key/value cache:
//
//	S = Scale · Q·Kᵀ,  P = softmax(S + causal mask),  O = P·V
//
// The queries are at positions past..past+seq-1 and see the keys at positions
// ≤ their own. Both products are GEMMs per (batch, head); the scale is the
// GEMM's alpha, as torch.baddbmm(alpha=norm_factor) in HF GPT-NeoX eager
// attention; mask and softmax are one fused pass per row.
// Precision: scores, probabilities and outputs are float32; the softmax
// normaliser is accumulated in float64.
type Attention struct {
	Heads    int
	HeadSize int
	Scale    float32 // usually 1/√HeadSize
}

// Forward computes the attention output of seq new queries per sequence.
//
//	q:     (batch, Heads, seq, HeadSize)
//	k, v:  (batch, Heads, capacity, HeadSize); rows 0..past+seq-1 are valid
//	probs: (batch, Heads, seq, past+seq)   written: P, saved for backward; masked entries are 0
//	out:   (batch, seq, Heads·HeadSize)    written
//
// out and probs must not alias the inputs. Forward allocates nothing.
func (a Attention) Forward(out, probs, q, k, v []float32, batch, seq, past, capacity int) {
	hs, width, keys := a.HeadSize, a.Heads*a.HeadSize, past+seq
	if keys > capacity {
		panic(fmt.Sprintf("nn.Attention.Forward: past %d + seq %d exceeds capacity %d", past, seq, capacity))
	}
	if len(probs) < batch*a.Heads*seq*keys || len(out) < batch*seq*width {
		panic(fmt.Sprintf("nn.Attention.Forward: probs has %d, out has %d elements; too short for batch %d seq %d keys %d", len(probs), len(out), batch, seq, keys))
	}
	for b := 0; b < batch; b++ {
		for h := 0; h < a.Heads; h++ {
			bh := b*a.Heads + h
			qh := q[bh*seq*hs:]
			kh, vh := k[bh*capacity*hs:], v[bh*capacity*hs:]
			ph := probs[bh*seq*keys : (bh+1)*seq*keys]
			// S (seq, keys) = Scale · Q (seq, hs) · Kᵀ (hs, keys)
			kernel.Sgemm(false, true, seq, keys, hs, a.Scale, qh, hs, kh, hs, 0, ph, keys)
			for t := 0; t < seq; t++ {
				causalSoftmax(ph[t*keys:(t+1)*keys], past+t+1)
			}
			// O (seq, hs) = P (seq, keys) · V (keys, hs), written into the head's columns of out
			kernel.Sgemm(false, false, seq, hs, keys, 1, ph, keys, vh, hs, 0, out[b*seq*width+h*hs:], width)
		}
	}
}

// causalSoftmax replaces row with softmax(row[:visible]) followed by zeros:
// p_j = exp(s_j - max s) / Σ_{j'<visible} exp(s_{j'} - max s) for j < visible.
func causalSoftmax(row []float32, visible int) {
	s := row[:visible]
	m := s[0]
	for _, x := range s[1:] {
		m = max(m, x)
	}
	var sum float64
	for j, x := range s {
		e := Exp32(x - m)
		s[j] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for j := range s {
		s[j] *= inv
	}
	clear(row[visible:])
}

// Backward computes the gradients of Forward per (batch, head), from the
// saved probabilities P, the standard attention backward (as written out in
// Dao et al. 2022, FlashAttention, App. B):
//
//	dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),
//	dQ = Scale·dS·K,  dK = Scale·dSᵀ·Q,  dV = Pᵀ·dO
//
//	dout:   (batch, seq, Heads·HeadSize)         gradient of out
//	probs:  (batch, Heads, seq, past+seq)        P from Forward
//	q:      (batch, Heads, seq, HeadSize);  k, v: (batch, Heads, capacity, HeadSize)
//	dq:     (batch, Heads, seq, HeadSize)        written
//	dk, dv: (batch, Heads, capacity, HeadSize)   rows 0..past+seq-1 written
//	dprobs: (batch, Heads, seq, past+seq)        scratch; holds dS on return
//
// Gradients do not flow past the cache: dk and dv rows below past are the
// gradients of those cached keys and values. Backward allocates nothing.
func (a Attention) Backward(dq, dk, dv, dprobs, dout, probs, q, k, v []float32, batch, seq, past, capacity int) {
	hs, width, keys := a.HeadSize, a.Heads*a.HeadSize, past+seq
	if keys > capacity || len(dprobs) < batch*a.Heads*seq*keys || len(probs) < batch*a.Heads*seq*keys {
		panic(fmt.Sprintf("nn.Attention.Backward: probs/dprobs too short or past %d + seq %d exceeds capacity %d", past, seq, capacity))
	}
	for b := 0; b < batch; b++ {
		for h := 0; h < a.Heads; h++ {
			bh := b*a.Heads + h
			qh, dqh := q[bh*seq*hs:], dq[bh*seq*hs:]
			kh, vh := k[bh*capacity*hs:], v[bh*capacity*hs:]
			dkh, dvh := dk[bh*capacity*hs:], dv[bh*capacity*hs:]
			ph, dph := probs[bh*seq*keys:(bh+1)*seq*keys], dprobs[bh*seq*keys:(bh+1)*seq*keys]
			doh := dout[b*seq*width+h*hs:]
			// dV (keys, hs) = Pᵀ (keys, seq) · dO (seq, hs)
			kernel.Sgemm(true, false, keys, hs, seq, 1, ph, keys, doh, width, 0, dvh, hs)
			// dP (seq, keys) = dO (seq, hs) · Vᵀ (hs, keys)
			kernel.Sgemm(false, true, seq, keys, hs, 1, doh, width, vh, hs, 0, dph, keys)
			for t := 0; t < seq; t++ {
				softmaxBackward(dph[t*keys:(t+1)*keys], ph[t*keys:(t+1)*keys])
			}
			// dQ (seq, hs) = Scale · dS (seq, keys) · K (keys, hs)
			kernel.Sgemm(false, false, seq, hs, keys, a.Scale, dph, keys, kh, hs, 0, dqh, hs)
			// dK (keys, hs) = Scale · dSᵀ (keys, seq) · Q (seq, hs)
			kernel.Sgemm(true, false, keys, hs, seq, a.Scale, dph, keys, qh, hs, 0, dkh, hs)
		}
	}
}

// softmaxBackward turns dp into ds = p ⊙ (dp − Σ_j dp_j·p_j) in place; masked
// entries (p = 0) get 0.
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

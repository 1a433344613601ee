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

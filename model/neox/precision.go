package neox

import (
	"fmt"

	"github.com/steady-ml/steady/nn"
)

// SetPrecision sets the autocast format of every later Forward and
// LossAndGrad (DESIGN.md "Precision modes"; PyTorch CPU autocast, the op
// trace of shared/fixtures/README.md "Where rounding happens", GPT-NeoX).
// The parameters stay float32 master values. Under nn.AutocastBF16 or
// nn.AutocastF16 a half tensor is a float32 slice holding half values, each
// computed in float32 from half operands and rounded once (the README's
// `clean` arithmetic):
//
//	half:    qkv, the attention scores, probabilities and context, attention.dense,
//	         mlp.dense_h_to_4h, gelu, mlp.dense_4h_to_h, attn_out + mlp_out (parallel), logits
//	float32: embed_in, the residual stream, every LayerNorm, rotary's output
//	         (half q, k times float32 cos, sin), the cross-entropy
//
// In the backward a gradient is half where its forward value is: the
// float32 gradient is rounded where it enters a half tensor (the logits,
// the branch outputs added to the residual) and every backward op that
// produces a half gradient rounds once; parameter gradients are half
// contributions accumulated exactly into the float32 gradients. In f16 a
// value past 65504 becomes ±Inf and reaches the loss. AutocastOff (the
// default) computes in float32. An unknown format panics.
func (m *Model) SetPrecision(c nn.Autocast) {
	switch c {
	case nn.AutocastOff, nn.AutocastBF16, nn.AutocastF16:
	default:
		panic(fmt.Sprintf("gpt_neox: SetPrecision(%v): unknown autocast format", c))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cast = c
	m.embedIn.Cast = c
	m.embedOut.Cast = c
	for i := range m.layers {
		l := &m.layers[i]
		l.qkv.Cast, l.dense.Cast, l.fc1.Cast, l.fc2.Cast = c, c, c, c
	}
	if c != nn.AutocastOff && m.rotCos == nil {
		m.rotCos, m.rotSin = rotaryTables(m.rotary)
	}
}

// Precision is the autocast format set by SetPrecision.
func (m *Model) Precision() nn.Autocast {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cast
}

// rotaryTables reads r's float32 tables back, cos[p, i] = cos(p·θ_i) and
// sin[p, i] = sin(p·θ_i) for i < Dims/2: rotating (1,…,1, 0,…,0) gives
// exactly (cos, sin), since x·cos − 0·sin and 0·cos + x·sin round to
// nothing new.
//
//	cos, sin: (MaxPos, Dims/2)
func rotaryTables(r nn.Rotary) (cos, sin []float32) {
	h := r.Dims / 2
	cos, sin = make([]float32, r.MaxPos*h), make([]float32, r.MaxPos*h)
	v := make([]float32, r.Dims)
	for p := 0; p < r.MaxPos; p++ {
		for i := range v {
			v[i] = 0
			if i < h {
				v[i] = 1
			}
		}
		r.Apply(v, p)
		copy(cos[p*h:(p+1)*h], v[:h])
		copy(sin[p*h:(p+1)*h], v[h:])
	}
	return cos, sin
}

// rotaryBackward maps the gradient dy of a rotated head vector at position
// pos back through rotary, in place. In float32 it is nn.Rotary.Backward.
// Under autocast q·cos and rotate_half(q)·sin are half × float32 → float32
// products whose gradients are rounded back to the half q, and the two half
// gradients add in half (HF apply_rotary_pos_emb's autograd):
//
//	dx_i   = round(round(g_i·cos_i)   + round(g_{i+h}·sin_i))
//	dx_i+h = round(round(g_i+h·cos_i) − round(g_i·sin_i))        i < h = Dims/2
//
// The pass-through elements keep their (already half) gradient.
func (m *Model) rotaryBackward(dy []float32, pos int) {
	if m.cast == nn.AutocastOff {
		m.rotary.Backward(dy, pos)
		return
	}
	h, c := m.rotary.Dims/2, m.cast
	cos, sin := m.rotCos[pos*h:(pos+1)*h], m.rotSin[pos*h:(pos+1)*h]
	lo, hi := dy[:h], dy[h:2*h]
	for i := range h {
		a, b := lo[i], hi[i]
		lo[i] = c.RoundValue(c.RoundValue(a*cos[i]) + c.RoundValue(b*sin[i]))
		hi[i] = c.RoundValue(c.RoundValue(b*cos[i]) - c.RoundValue(a*sin[i]))
	}
}

// halfGrad returns the gradient of a half tensor added to the float32
// residual stream: round(dres) in trainBufs.dbranch under autocast (the
// backward of torch's bf16 + fp32 → fp32 promotion), dres itself in float32.
func (m *Model) halfGrad(dres []float32) []float32 {
	if m.cast == nn.AutocastOff {
		return dres
	}
	tb := &m.trainBufs
	tb.dbranch = grow(tb.dbranch, len(dres))
	copy(tb.dbranch, dres)
	m.cast.Round(tb.dbranch)
	return tb.dbranch
}

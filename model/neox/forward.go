package neox

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/steady-ml/steady/kernel"
	"github.com/steady-ml/steady/model"
)

// activations are the buffers of one Forward, reused across layers and calls.
// They grow to the largest call seen and are never shrunk.
type activations struct {
	x       []float32 // residual stream: (batch·seq, hidden)
	ln      []float32 // LN₁(x), then LN₂(x): (batch·seq, hidden)
	qkv     []float32 // W_qkv·LN₁(x) + b: (batch·seq, 3·hidden), per head [q k v]
	q       []float32 // queries after rotary: (batch, heads, seq, headSize)
	probs   []float32 // softmax(QKᵀ/√d + mask): (batch, heads, seq, keys)
	ctx     []float32 // P·V, heads side by side: (batch·seq, hidden)
	attnOut []float32 // attention.dense(ctx): (batch·seq, hidden)
	h4      []float32 // gelu(dense_h_to_4h(LN₂(x))): (batch·seq, intermediate)
	mlpOut  []float32 // dense_4h_to_h(h4): (batch·seq, hidden)
	k, v    []float32 // keys (after rotary) and values without a State: (batch, heads, seq, headSize)
}

// grow returns buf resliced to n elements, reallocated only if too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// Forward runs tokens (batch, seq) and returns newly allocated logits
// (batch, seq, vocab). With a non-nil state (from NewState or NewStateCap of
// this model, for the same batch) the tokens continue the cached sequences
// and the cache advances past them.
func (m *Model) Forward(tokens []int32, batch, seq int, state model.State) ([]float32, error) {
	if batch <= 0 || seq <= 0 {
		return nil, fmt.Errorf("gpt_neox: empty input (batch %d, seq %d)", batch, seq)
	}
	logits := make([]float32, batch*seq*m.Config.VocabSize)
	if err := m.ForwardInto(logits, tokens, batch, seq, state); err != nil {
		return nil, err
	}
	return logits, nil
}

// ForwardInto is Forward writing the logits (batch, seq, vocab) into logits,
// which must hold at least that many values. On error nothing is written and
// the state is unchanged. With a state made by NewStateCap it allocates
// nothing once the buffers have reached their size.
func (m *Model) ForwardInto(logits []float32, tokens []int32, batch, seq int, state model.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, err := m.check(logits, tokens, batch, seq, state)
	if err != nil {
		return err
	}
	m.forward(logits, tokens, batch, seq, s)
	return nil
}

// check validates a Forward call and returns its *State (nil without one).
func (m *Model) check(logits []float32, tokens []int32, batch, seq int, state model.State) (*State, error) {
	c := m.Config
	if batch <= 0 || seq <= 0 {
		return nil, fmt.Errorf("gpt_neox: empty input (batch %d, seq %d)", batch, seq)
	}
	if len(tokens) != batch*seq {
		return nil, fmt.Errorf("gpt_neox: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
	}
	if len(logits) < batch*seq*c.VocabSize {
		return nil, fmt.Errorf("gpt_neox: logits has %d values, want batch·seq·vocab = %d", len(logits), batch*seq*c.VocabSize)
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= c.VocabSize {
			return nil, fmt.Errorf("gpt_neox: token id %d at (%d, %d) is outside the vocabulary [0, %d)", t, i/seq, i%seq, c.VocabSize)
		}
	}
	past := 0
	var s *State
	if state != nil {
		var ok bool
		if s, ok = state.(*State); !ok || s == nil || s.owner != m {
			return nil, fmt.Errorf("gpt_neox: state %T was not made by this model's NewState", state)
		}
		if s.batch != batch {
			return nil, fmt.Errorf("gpt_neox: state holds %d sequences, input has batch %d", s.batch, batch)
		}
		past = s.n
	}
	if past+seq > c.MaxPositionEmbeddings {
		return nil, fmt.Errorf("gpt_neox: %d cached + %d new tokens exceed max_position_embeddings %d", past, seq, c.MaxPositionEmbeddings)
	}
	return s, nil
}

// trace hands an intermediate to m.Trace under its fixture name, prefixed by
// "layers.<layer>." when layer ≥ 0. Names and shapes are built only when
// tracing, so a Forward without Trace allocates nothing here.
func (m *Model) trace(layer int, name string, data []float32, shape ...int) {
	if m.Trace == nil {
		return
	}
	if layer >= 0 {
		name = "layers." + strconv.Itoa(layer) + "." + name
	}
	m.Trace(name, data, slices.Clone(shape))
}

// forward is the model on validated input: embed, blocks, final LN, head.
func (m *Model) forward(logits []float32, tokens []int32, batch, seq int, s *State) {
	c := m.Config
	rows, h, heads := batch*seq, c.HiddenSize, c.NumAttentionHeads
	past, capacity := 0, seq
	if s != nil {
		past = s.n
		s.reserve(past + seq)
		capacity = s.capacity
	}
	a := &m.act
	a.x = grow(a.x, rows*h)
	a.ln = grow(a.ln, rows*h)
	a.qkv = grow(a.qkv, rows*3*h)
	a.q = grow(a.q, rows*h)
	a.probs = grow(a.probs, batch*heads*seq*capacity)[:batch*heads*seq*(past+seq)]
	a.ctx = grow(a.ctx, rows*h)
	a.attnOut = grow(a.attnOut, rows*h)
	a.h4 = grow(a.h4, rows*c.IntermediateSize)
	a.mlpOut = grow(a.mlpOut, rows*h)
	if s == nil {
		a.k = grow(a.k, rows*h)
		a.v = grow(a.v, rows*h)
	}

	// x = E_in[tokens]; ids were checked, so the lookup cannot fail.
	if err := m.embedIn.Forward(a.x, tokens); err != nil {
		panic(err)
	}
	m.trace(-1, "embeddings", a.x, batch, seq, h)
	for i := range m.layers {
		k, v := a.k, a.v
		if s != nil {
			k, v = s.keys[i], s.values[i]
		}
		m.block(i, k, v, batch, seq, past, capacity)
	}
	if s != nil {
		s.n += seq
	}
	m.finalLN.Forward(a.ln, nil, nil, a.x, rows)
	m.trace(-1, "final_layer_norm_out", a.ln, batch, seq, h)
	m.embedOut.Forward(logits, a.ln, rows) // logits = LN_f(x)·E_outᵀ
	m.trace(-1, "logits", logits[:rows*c.VocabSize], batch, seq, c.VocabSize)
}

// block runs layer i on the residual stream m.act.x in place, appending the
// new keys and values at rows past..past+seq-1 of k and v.
//
//	k, v: (batch, heads, capacity, headSize)
func (m *Model) block(i int, k, v []float32, batch, seq, past, capacity int) {
	c, l, a := m.Config, &m.layers[i], &m.act
	rows, h, heads := batch*seq, c.HiddenSize, c.NumAttentionHeads

	// Attention (HF GPTNeoXAttention.forward / _attn, eager).
	l.ln1.Forward(a.ln, nil, nil, a.x, rows) // ln = LN₁(x)
	m.trace(i, "input_layernorm_out", a.ln, batch, seq, h)
	l.qkv.Forward(a.qkv, a.ln, rows) // qkv = ln·W_qkvᵀ + b_qkv
	m.trace(i, "qkv", a.qkv, batch, seq, 3*h)
	m.splitHeads(k, v, batch, seq, past, capacity)                        // q, k ← rotary(q, k) at positions past..; k, v appended
	m.attn.Forward(a.ctx, a.probs, a.q, k, v, batch, seq, past, capacity) // ctx = softmax(q·kᵀ/√d + mask)·v
	m.trace(i, "attn_probs", a.probs, batch, heads, seq, past+seq)
	l.dense.Forward(a.attnOut, a.ctx, rows) // a = ctx·W_oᵀ + b_o
	m.trace(i, "attention_out", a.attnOut, batch, seq, h)

	if !c.UseParallelResidual {
		add(a.x, a.attnOut, a.x) // sequential: x ← a + x (HF: attn_output = attn_output + hidden_states)
	}
	// MLP (HF GPTNeoXMLP): reads x, the block input when parallel.
	l.ln2.Forward(a.ln, nil, nil, a.x, rows) // ln = LN₂(x)
	m.trace(i, "post_attention_layernorm_out", a.ln, batch, seq, h)
	l.fc1.Forward(a.h4, a.ln, rows)     // h4 = ln·W_1ᵀ + b_1
	m.activate(a.h4)                    // h4 = gelu(h4)
	l.fc2.Forward(a.mlpOut, a.h4, rows) // f = h4·W_2ᵀ + b_2
	m.trace(i, "mlp_out", a.mlpOut, batch, seq, h)
	if c.UseParallelResidual {
		add(a.mlpOut, a.mlpOut, a.attnOut) // parallel: f ← f + a, then x ← f + x (HF: mlp_output + attn_output + hidden_states)
	}
	add(a.x, a.mlpOut, a.x) // x ← f + x
	m.trace(i, "out", a.x, batch, seq, h)
}

// splitHeads scatters m.act.qkv's per-head [q k v] columns: q into m.act.q,
// k and v into rows past.. of the cache, rotating q and k by position.
//
//	qkv: (batch, seq, heads, 3, headSize) → q: (batch, heads, seq, headSize),
//	k, v: (batch, heads, capacity, headSize)
func (m *Model) splitHeads(k, v []float32, batch, seq, past, capacity int) {
	heads, hs := m.Config.NumAttentionHeads, m.Config.HeadSize()
	a := &m.act
	for b := 0; b < batch; b++ {
		for t := 0; t < seq; t++ {
			pos := past + t
			row := a.qkv[(b*seq+t)*3*heads*hs:]
			for hd := 0; hd < heads; hd++ {
				src := row[hd*3*hs:]
				bh := b*heads + hd
				qd := a.q[(bh*seq+t)*hs : (bh*seq+t+1)*hs]
				kd := k[(bh*capacity+pos)*hs : (bh*capacity+pos+1)*hs]
				vd := v[(bh*capacity+pos)*hs : (bh*capacity+pos+1)*hs]
				copy(qd, src[:hs])
				copy(kd, src[hs:2*hs])
				copy(vd, src[2*hs:3*hs])
				m.rotary.Apply(qd, pos)
				m.rotary.Apply(kd, pos)
			}
		}
	}
}

// parallelMin is the smallest activation worth splitting across goroutines:
// the erf GELU costs about 20 ns an element, a goroutine about 1 µs.
const parallelMin = 1 << 15

// activate applies the MLP activation to h in place, split over
// kernel.Threads() goroutines when h is large (prefill); small inputs
// (decode) run inline and allocate nothing.
func (m *Model) activate(h []float32) {
	workers := kernel.Threads()
	if len(h) < parallelMin || workers < 2 {
		m.gelu(h, h)
		return
	}
	var wg sync.WaitGroup
	chunk := (len(h) + workers - 1) / workers
	for lo := 0; lo < len(h); lo += chunk {
		part := h[lo:min(lo+chunk, len(h))]
		wg.Go(func() { m.gelu(part, part) })
	}
	wg.Wait()
}

// add writes dst = x + y element-wise; dst may alias either.
func add(dst, x, y []float32) {
	y = y[:len(x)]
	dst = dst[:len(x)]
	for i := range x {
		dst[i] = x[i] + y[i]
	}
}

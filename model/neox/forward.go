package neox

import (
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/steady-ml/steady/kernel"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
)

// activations are the buffers of a forward pass, reused across calls. They
// grow to the largest call seen and are never shrunk. Inference runs every
// layer through the one set in shared; a training forward (train.go) gives
// each layer its own set so that Backward finds what each layer saw.
type activations struct {
	x      []float32 // residual stream: (batch·seq, hidden)
	shared layerActs
}

// layerActs are one block's activations. Slices marked "train" are nil in
// inference, which then skips saving them; in inference ln2 aliases ln1,
// h4 aliases pre, and k, v are unused when a State holds the cache. All are
// float32 slices; those marked "half" hold half values under autocast
// (precision.go), the others float32 values in every mode.
type layerActs struct {
	xIn     []float32 // train: the block input x: (batch·seq, hidden)
	ln1     []float32 // LN₁(x): (batch·seq, hidden)
	mean1   []float32 // train: LN₁ row means: (batch·seq)
	rstd1   []float32 // train: LN₁ row 1/σ: (batch·seq)
	qkv     []float32 // half: ln1·W_qkvᵀ + b: (batch·seq, 3·hidden), per head [q k v]
	q       []float32 // queries after rotary (float32 rotated dims, half pass-through): (batch, heads, seq, headSize)
	k, v    []float32 // keys (after rotary, as q) and half values without a State: (batch, heads, seq, headSize)
	probs   []float32 // half: softmax(q·kᵀ/√d + mask): (batch, heads, seq, keys)
	ctx     []float32 // half: probs·v, heads side by side: (batch·seq, hidden)
	attnOut []float32 // half: ctx·W_oᵀ + b_o: (batch·seq, hidden)
	mid     []float32 // train, sequential residual: x + attnOut, the MLP's input: (batch·seq, hidden)
	ln2     []float32 // LN₂ of the MLP input: (batch·seq, hidden)
	mean2   []float32 // train: LN₂ row means: (batch·seq)
	rstd2   []float32 // train: LN₂ row 1/σ: (batch·seq)
	pre     []float32 // half: ln2·W_1ᵀ + b_1: (batch·seq, intermediate)
	h4      []float32 // half: gelu(pre): (batch·seq, intermediate)
	mlpOut  []float32 // half: h4·W_2ᵀ + b_2 (+ attnOut when parallel, added in half): (batch·seq, hidden)
	// packed holds v, probs, ctx, pre and h4 in the autocast format while
	// training under autocast (those five are then the shared work slices
	// of trainBuffers); nil otherwise.
	packed *nn.Packed
}

// size (re)slices la's buffers for an inference pass over rows =
// batch·seq tokens whose attention sees keys keys, with room for capacity
// keys in probs; ln2 aliases ln1 and h4 aliases pre.
func (la *layerActs) size(c Config, batch, seq, keys, capacity int) {
	rows, h, heads := batch*seq, c.HiddenSize, c.NumAttentionHeads
	la.ln1 = grow(la.ln1, rows*h)
	la.q = grow(la.q, rows*h)
	la.k = grow(la.k, rows*h)
	la.v = grow(la.v, rows*h)
	la.probs = grow(la.probs, batch*heads*seq*capacity)[:batch*heads*seq*keys]
	la.ctx = grow(la.ctx, rows*h)
	la.pre = grow(la.pre, rows*c.IntermediateSize)
	la.qkv = grow(la.qkv, rows*3*h)
	la.attnOut = grow(la.attnOut, rows*h)
	la.mlpOut = grow(la.mlpOut, rows*h)
	la.ln2, la.h4 = la.ln1, la.pre
}

// grow returns buf resliced to n elements, reallocated only if too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// Forward runs tokens (batch, seq) in the precision SetPrecision set
// (float32 by default) and returns newly allocated logits (batch, seq,
// vocab). With a non-nil state (from NewState or NewStateCap of this model,
// for the same batch) the tokens continue the cached sequences and the
// cache advances past them.
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
	s, err := m.check(tokens, batch, seq, state)
	if err != nil {
		return err
	}
	if len(logits) < batch*seq*m.Config.VocabSize {
		return fmt.Errorf("gpt_neox: logits has %d values, want batch·seq·vocab = %d", len(logits), batch*seq*m.Config.VocabSize)
	}
	m.forward(logits, tokens, batch, seq, s)
	return nil
}

// check validates a Forward call and returns its *State (nil without one).
func (m *Model) check(tokens []int32, batch, seq int, state model.State) (*State, error) {
	c := m.Config
	if batch <= 0 || seq <= 0 {
		return nil, fmt.Errorf("gpt_neox: empty input (batch %d, seq %d)", batch, seq)
	}
	if len(tokens) != batch*seq {
		return nil, fmt.Errorf("gpt_neox: %d tokens for batch %d × seq %d", len(tokens), batch, seq)
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
	rows, h := batch*seq, c.HiddenSize
	past, capacity := 0, seq
	if s != nil {
		past = s.n
		s.reserve(past + seq)
		capacity = s.capacity
	}
	a := &m.act
	a.x = grow(a.x, rows*h)
	la := &a.shared
	la.size(c, batch, seq, past+seq, capacity)

	m.embed(tokens, batch, seq)
	for i := range m.layers {
		k, v := la.k, la.v
		if s != nil {
			k, v = s.keys[i], s.values[i]
		}
		m.block(i, la, k, v, batch, seq, past, capacity)
	}
	if s != nil {
		s.n += seq
	}
	m.head(logits, la.ln1, nil, nil, batch, seq)
}

// embed writes x = E_in[tokens]; the ids were checked, so it cannot fail.
func (m *Model) embed(tokens []int32, batch, seq int) {
	if err := m.embedIn.Forward(m.act.x, tokens); err != nil {
		panic(err)
	}
	m.trace(-1, "embeddings", m.act.x, batch, seq, m.Config.HiddenSize)
}

// head writes logits = LN_f(x)·E_outᵀ, with LN_f(x) in lnf and, when not
// nil, its row means and 1/σ in mean and rstd.
//
//	lnf: (batch·seq, hidden)   logits: (batch·seq, vocab)
func (m *Model) head(logits, lnf, mean, rstd []float32, batch, seq int) {
	c, rows := m.Config, batch*seq
	m.finalLN.Forward(lnf, mean, rstd, m.act.x, rows)
	m.trace(-1, "final_layer_norm_out", lnf, batch, seq, c.HiddenSize)
	m.embedOut.Forward(logits, lnf, rows)
	m.trace(-1, "logits", logits[:rows*c.VocabSize], batch, seq, c.VocabSize)
}

// block runs layer i on the residual stream m.act.x in place, with its
// activations in la, appending the new keys and values at rows
// past..past+seq-1 of k and v.
//
//	k, v: (batch, heads, capacity, headSize)
func (m *Model) block(i int, la *layerActs, k, v []float32, batch, seq, past, capacity int) {
	c, l, x := m.Config, &m.layers[i], m.act.x
	rows, h, heads := batch*seq, c.HiddenSize, c.NumAttentionHeads
	if la.xIn != nil {
		copy(la.xIn, x)
	}

	// Attention (HF GPTNeoXAttention.forward / _attn, eager).
	l.ln1.Forward(la.ln1, la.mean1, la.rstd1, x, rows) // ln1 = LN₁(x)
	m.trace(i, "input_layernorm_out", la.ln1, batch, seq, h)
	l.qkv.Forward(la.qkv, la.ln1, rows) // qkv = ln1·W_qkvᵀ + b_qkv
	m.trace(i, "qkv", la.qkv, batch, seq, 3*h)
	m.splitHeads(la, k, v, batch, seq, past, capacity)                 // q, k ← rotary(q, k) at positions past..; k, v appended
	m.attend(la.ctx, la.probs, la.q, k, v, batch, seq, past, capacity) // ctx = softmax(q·kᵀ/√d + mask)·v
	m.trace(i, "attn_probs", la.probs, batch, heads, seq, past+seq)
	l.dense.Forward(la.attnOut, la.ctx, rows) // a = ctx·W_oᵀ + b_o
	m.trace(i, "attention_out", la.attnOut, batch, seq, h)

	if !c.UseParallelResidual {
		add(x, la.attnOut, x) // sequential: x ← a + x (HF: attn_output = attn_output + hidden_states)
		if la.mid != nil {
			copy(la.mid, x)
		}
	}
	// MLP (HF GPTNeoXMLP): reads x, the block input when parallel.
	l.ln2.Forward(la.ln2, la.mean2, la.rstd2, x, rows) // ln2 = LN₂(x)
	m.trace(i, "post_attention_layernorm_out", la.ln2, batch, seq, h)
	l.fc1.Forward(la.pre, la.ln2, rows)   // pre = ln2·W_1ᵀ + b_1
	m.activate(la.h4, la.pre)             // h4 = gelu(pre)
	m.cast.Round(la.h4)                   // autocast: gelu of a half tensor is half
	l.fc2.Forward(la.mlpOut, la.h4, rows) // f = h4·W_2ᵀ + b_2
	m.trace(i, "mlp_out", la.mlpOut, batch, seq, h)
	if c.UseParallelResidual {
		add(la.mlpOut, la.mlpOut, la.attnOut) // parallel: f ← f + a, then x ← f + x (HF: mlp_output + attn_output + hidden_states)
		m.cast.Round(la.mlpOut)               // autocast: f + a is added in half
	}
	add(x, la.mlpOut, x) // x ← f + x
	m.trace(i, "out", x, batch, seq, h)
}

// splitHeads scatters la.qkv's per-head [q k v] columns: q into la.q, k and
// v into rows past.. of the cache, rotating q and k by position.
//
//	qkv: (batch, seq, heads, 3, headSize) → q: (batch, heads, seq, headSize),
//	k, v: (batch, heads, capacity, headSize)
func (m *Model) splitHeads(la *layerActs, k, v []float32, batch, seq, past, capacity int) {
	heads, hs := m.Config.NumAttentionHeads, m.Config.HeadSize()
	for b := 0; b < batch; b++ {
		for t := 0; t < seq; t++ {
			pos := past + t
			row := la.qkv[(b*seq+t)*3*heads*hs:]
			for hd := 0; hd < heads; hd++ {
				src := row[hd*3*hs:]
				bh := b*heads + hd
				qd := la.q[(bh*seq+t)*hs : (bh*seq+t+1)*hs]
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

// activate writes y = act(x) (y may alias x), split over kernel.Threads()
// goroutines when x is large (prefill); small inputs (decode) run inline and
// allocate nothing.
func (m *Model) activate(y, x []float32) {
	workers := kernel.Threads()
	if len(x) < parallelMin || workers < 2 {
		m.gelu(y, x)
		return
	}
	var wg sync.WaitGroup
	chunk := (len(x) + workers - 1) / workers
	for lo := 0; lo < len(x); lo += chunk {
		hi := min(lo+chunk, len(x))
		xs, ys := x[lo:hi], y[lo:hi]
		wg.Go(func() { m.gelu(ys, xs) })
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

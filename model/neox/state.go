package neox

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
)

// State is the key/value cache of a batch of sequences: for every layer the
// keys (after rotary embedding) and values of all tokens seen so far. It
// implements model.State and belongs to the Model that made it.
//
// The cache grows by doubling up to max_position_embeddings; a State made
// with NewStateCap never grows below its capacity, so decoding into it
// allocates nothing.
type State struct {
	owner    *Model
	batch    int
	n        int         // tokens held per sequence (the position of the next token)
	capacity int         // rows allocated per (sequence, head)
	keys     [][]float32 // per layer: (batch, heads, capacity, headSize), rows 0..n-1 valid
	values   [][]float32 // per layer: (batch, heads, capacity, headSize), rows 0..n-1 valid
}

var _ model.State = (*State)(nil)

// NewState returns an empty cache for batch sequences. It allocates nothing
// until the first Forward.
func (m *Model) NewState(batch int) model.State {
	return &State{owner: m, batch: batch, keys: make([][]float32, len(m.layers)), values: make([][]float32, len(m.layers))}
}

// NewStateCap returns an empty cache for batch sequences with room for
// capacity tokens each, allocated now.
func (m *Model) NewStateCap(batch, capacity int) (*State, error) {
	if batch <= 0 {
		return nil, fmt.Errorf("gpt_neox: state batch %d, want > 0", batch)
	}
	if capacity <= 0 || capacity > m.Config.MaxPositionEmbeddings {
		return nil, fmt.Errorf("gpt_neox: state capacity %d, want in [1, max_position_embeddings %d]", capacity, m.Config.MaxPositionEmbeddings)
	}
	s := m.NewState(batch).(*State)
	s.reserve(capacity)
	return s, nil
}

// Batch is the number of sequences the cache holds.
func (s *State) Batch() int { return s.batch }

// Len is the number of tokens cached per sequence.
func (s *State) Len() int { return s.n }

// Reset empties the cache, keeping its memory, so the State can start new
// sequences.
func (s *State) Reset() { s.n = 0 }

// KV returns copies of layer's cached keys (after rotary) and values.
//
//	k, v: (batch, heads, Len(), headSize)
func (s *State) KV(layer int) (k, v []float32) {
	c := s.owner.Config
	heads, hs := c.NumAttentionHeads, c.HeadSize()
	k = make([]float32, s.batch*heads*s.n*hs)
	v = make([]float32, len(k))
	for bh := 0; bh < s.batch*heads; bh++ {
		copy(k[bh*s.n*hs:(bh+1)*s.n*hs], s.keys[layer][bh*s.capacity*hs:])
		copy(v[bh*s.n*hs:(bh+1)*s.n*hs], s.values[layer][bh*s.capacity*hs:])
	}
	return k, v
}

// reserve makes room for need tokens per sequence, doubling the capacity (up
// to max_position_embeddings) and moving the cached rows when it grows.
func (s *State) reserve(need int) {
	if need <= s.capacity {
		return
	}
	c := s.owner.Config
	heads, hs := c.NumAttentionHeads, c.HeadSize()
	newCap := min(max(need, 2*s.capacity, 16), c.MaxPositionEmbeddings)
	for l := range s.keys {
		s.keys[l] = regrow(s.keys[l], s.batch*heads, s.n*hs, s.capacity*hs, newCap*hs)
		s.values[l] = regrow(s.values[l], s.batch*heads, s.n*hs, s.capacity*hs, newCap*hs)
	}
	s.capacity = newCap
}

// regrow copies the first used elements of each of blocks blocks, spaced
// oldStride apart in old, into a new slice where they are newStride apart.
func regrow(old []float32, blocks, used, oldStride, newStride int) []float32 {
	buf := make([]float32, blocks*newStride)
	for b := 0; b < blocks; b++ {
		copy(buf[b*newStride:b*newStride+used], old[b*oldStride:b*oldStride+used])
	}
	return buf
}

// CloneState returns an independent copy of s, a cache of this model.
// Scoring several continuations of one context runs the context once and
// continues each from a copy.
func (m *Model) CloneState(s model.State) model.State {
	st := s.(*State)
	c := *st
	c.keys, c.values = make([][]float32, len(st.keys)), make([][]float32, len(st.values))
	for i := range st.keys {
		c.keys[i], c.values[i] = slices.Clone(st.keys[i]), slices.Clone(st.values[i])
	}
	return &c
}

// MaxLength is the longest sequence the model accepts, cache included:
// max_position_embeddings.
func (m *Model) MaxLength() int { return m.Config.MaxPositionEmbeddings }

package mamba

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
)

// State is the decode state of a batch of sequences (mamba_ssm
// InferenceParams.key_value_memory_dict; HF MambaCache). Per layer, float32:
//
//	conv: (batch, DInner, DConv)  the last DConv pre-conv inputs x, oldest first
//	ssm:  (batch, DInner, DState) the SSM state h
//
// A zero State is the start of the sequences. It implements model.State.
type State struct {
	owner *Model
	batch int
	conv  [][]float32
	ssm   [][]float32
}

// NewMambaState returns a zero state for batch sequences of this model.
func (m *Model) NewMambaState(batch int) *State {
	c := m.cfg
	s := &State{owner: m, batch: batch}
	for range c.NLayer {
		s.conv = append(s.conv, make([]float32, batch*c.DInner*c.DConv))
		s.ssm = append(s.ssm, make([]float32, batch*c.DInner*c.DState))
	}
	return s
}

// Batch is the number of sequences (model.State).
func (s *State) Batch() int { return s.batch }

// ConvState returns layer's conv state (batch, DInner, DConv), oldest input
// first. The slice is the state itself: writing it changes the state.
func (s *State) ConvState(layer int) []float32 { return s.conv[s.check(layer)] }

// SSMState returns layer's SSM state (batch, DInner, DState). The slice is
// the state itself.
func (s *State) SSMState(layer int) []float32 { return s.ssm[s.check(layer)] }

// Reset zeroes the state, starting every sequence afresh.
func (s *State) Reset() {
	for i := range s.conv {
		clear(s.conv[i])
		clear(s.ssm[i])
	}
}

func (s *State) check(layer int) int {
	if layer < 0 || layer >= len(s.conv) {
		panic(fmt.Sprintf("mamba.State: layer %d out of range [0, %d)", layer, len(s.conv)))
	}
	return layer
}

// CloneState returns an independent copy of s, a state of this model: the
// conv and SSM states of every layer. Scoring several continuations of one
// context runs the context once and continues each from a copy.
func (m *Model) CloneState(s model.State) model.State {
	st := s.(*State)
	c := &State{owner: st.owner, batch: st.batch}
	for i := range st.conv {
		c.conv = append(c.conv, slices.Clone(st.conv[i]))
		c.ssm = append(c.ssm, slices.Clone(st.ssm[i]))
	}
	return c
}

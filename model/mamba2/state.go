package mamba2

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/model"
)

// State is the decode state of a batch of sequences: per layer, the conv
// window and the SSM state (mamba_ssm InferenceParams.key_value_memory_dict,
// the same layouts). It implements model.State.
type State struct {
	batch int
	// Conv[i] is layer i's conv_state (batch, ConvDim, DConv): the last DConv
	// pre-conv xBC inputs of each channel, oldest first.
	Conv [][]float32
	// SSM[i] is layer i's ssm_state h (batch, NHeads, HeadDim, DState).
	SSM                                     [][]float32
	convDim, dConv, nHeads, headDim, dState int
}

func newState(c Config, batch int) *State {
	s := &State{
		batch: batch, convDim: c.ConvDim(), dConv: c.DConv, nHeads: c.NHeads(), headDim: c.HeadDim, dState: c.DState,
		Conv: make([][]float32, c.NLayer), SSM: make([][]float32, c.NLayer),
	}
	for i := range s.Conv {
		s.Conv[i] = make([]float32, batch*s.convDim*s.dConv)
		s.SSM[i] = make([]float32, batch*s.nHeads*s.headDim*s.dState)
	}
	return s
}

// Batch is the number of sequences the state holds.
func (s *State) Batch() int { return s.batch }

// compatible reports why s cannot continue a call of batch sequences of a
// model with config c.
func (s *State) compatible(c Config, batch int) error {
	if len(s.Conv) != c.NLayer || s.convDim != c.ConvDim() || s.dConv != c.DConv ||
		s.nHeads != c.NHeads() || s.headDim != c.HeadDim || s.dState != c.DState {
		return fmt.Errorf("mamba2: the state was made for another model (%d layers, conv %d×%d, ssm %d×%d×%d); this model has %d layers, conv %d×%d, ssm %d×%d×%d",
			len(s.Conv), s.convDim, s.dConv, s.nHeads, s.headDim, s.dState,
			c.NLayer, c.ConvDim(), c.DConv, c.NHeads(), c.HeadDim, c.DState)
	}
	if s.batch != batch {
		return fmt.Errorf("mamba2: the state holds %d sequences but the input has batch %d", s.batch, batch)
	}
	return nil
}

// CloneState returns an independent copy of s, a state of this model: the
// conv and SSM states of every layer. Scoring several continuations of one
// context runs the context once and continues each from a copy.
func (m *Model) CloneState(s model.State) model.State {
	st := s.(*State)
	c := *st
	c.Conv, c.SSM = make([][]float32, len(st.Conv)), make([][]float32, len(st.SSM))
	for i := range st.Conv {
		c.Conv[i], c.SSM[i] = slices.Clone(st.Conv[i]), slices.Clone(st.SSM[i])
	}
	return &c
}

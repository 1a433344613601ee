// Package model is the small contract every architecture implements: a causal
// language model that maps token ids to next-token logits, optionally
// continuing from a per-sequence decode state. Architectures live in the
// sub-packages mamba, mamba2 and neox; file formats live elsewhere
// (checkpoint), so this package and its children do no I/O.
package model

// Weights is where an architecture finds its parameters by checkpoint tensor name.
type Weights interface {
	// F32 returns the named tensor as float32, row-major, with its shape.
	// The error names the tensor when it is missing or not a float type.
	F32(name string) (data []float32, shape []int, err error)
	// Has reports whether the named tensor exists.
	Has(name string) bool
}

// State is the per-sequence decode state of a model: the conv and SSM states
// of a Mamba, or the key/value cache of a Transformer.
type State interface {
	// Batch is the number of sequences the state holds.
	Batch() int
}

// LM is a causal language model.
type LM interface {
	// VocabSize is the width of the logits (the padded vocabulary).
	VocabSize() int
	// NewState returns an empty decode state for batch sequences.
	NewState(batch int) State
	// Forward runs tokens (batch, seq) row-major and returns logits (batch, seq, VocabSize()).
	// With a non-nil state the tokens continue the sequences held in it and
	// the state advances past them, so a long input can be fed in chunks of any size.
	Forward(tokens []int32, batch, seq int, state State) ([]float32, error)
}

// Param is one parameter tensor of a model under its checkpoint name.
type Param struct {
	Name  string
	Shape []int     // outermost first, as in the checkpoint
	Data  []float32 // the model's live values (shared, not copied)
}

// Exporter is a model that can be written back as a Hugging Face checkpoint.
type Exporter interface {
	// Params lists the parameters under their Hugging Face names, a tied
	// output head once (as save_pretrained writes it).
	Params() []Param
	// HFConfig returns config.json as Hugging Face transformers writes it
	// for this architecture.
	HFConfig() ([]byte, error)
}

package dataset

// IgnoreIndex marks a target that takes no part in the loss, as PyTorch's
// cross_entropy ignore_index and HF's label -100 do.
const IgnoreIndex int32 = -100

// Example is one training sequence before batching.
type Example struct {
	// Tokens: (n) input ids.
	Tokens []int32
	// Targets: (n) Targets[t] is the id to predict after Tokens[:t+1], or
	// IgnoreIndex.
	Targets []int32
}

// Batch is one step's input to the trainer; see the package doc for the
// contract.
type Batch struct {
	// Tokens: (Batch, Seq) input ids, right-padded with the pad id.
	Tokens []int32
	// Targets: (Batch, Seq) next-token ids, IgnoreIndex where no loss is
	// taken (padding, masked prompts, the last position of an example).
	Targets []int32
	// Batch and Seq are the dimensions of Tokens and Targets.
	Batch, Seq int
}

// TargetCount returns the number of targets that are not IgnoreIndex: the
// denominator of the batch's mean loss.
func (b *Batch) TargetCount() int {
	return countTargets(b.Targets)
}

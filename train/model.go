package train

import (
	"math/bits"
	"math/rand/v2"
)

// Model is what the trainer needs of a model: its parameters and a forward+backward pass.
// B is the model's micro-batch type.
type Model[B any] interface {
	// Params lists every trainable tensor once, in a fixed order.
	Params() []*Param
	// Step runs forward and backward on one micro-batch, adding seed·∂loss/∂p to each
	// Param.Grad, and returns the loss (before the seed is applied) and the tokens it was
	// computed on. seed is 1/GradAccum, times the loss scale when loss scaling is on.
	Step(batch B, seed float32) (StepStats, error)
}

// MicroBatchSetter is a Model whose forward depends on which micro-batch of
// the run it computes (dropout masks numbered by it). Before each Step the
// trainer calls SetMicroBatch with the micro-batch's index in the run,
// counted from 0 across optimiser steps and epochs, so a resumed run draws
// what an uninterrupted one would.
type MicroBatchSetter interface {
	SetMicroBatch(n int)
}

// StepStats is what one Model.Step reports.
type StepStats struct {
	Loss   float64 // mean loss over the micro-batch's target tokens
	Tokens int     // tokens processed, for tokens/s
}

// Data yields micro-batches. Batch(epoch, i) must depend only on its arguments and on how the
// caller built the Data (its seed): a resumed run asks for the same batches again and must
// get the same ones.
type Data[B any] interface {
	// Len is the number of micro-batches in an epoch.
	Len() int
	// Batch returns micro-batch i (0 <= i < Len()) of epoch epoch.
	Batch(epoch, i int) (B, error)
}

// Permutation returns a shuffled order of 0..n-1 for one epoch, a function of seed and epoch
// only: Data implementations use it to shuffle reproducibly. It is a Fisher–Yates shuffle
// driven by PCG's raw 64-bit outputs (a specified generator) with Lemire's unbiased bounded
// draw, written out here so that no change to math/rand's derived methods can reorder the
// batches of a run being resumed.
func Permutation(seed uint64, epoch, n int) []int {
	src := rand.NewPCG(seed, uint64(epoch))
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := boundedDraw(src, uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// boundedDraw returns a uniform integer in [0, bound) (Lemire, "Fast Random Integer Generation
// in an Interval", 2019): the high word of x·bound, rejecting the low words that would bias it.
func boundedDraw(src *rand.PCG, bound uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(src.Uint64(), bound)
		}
	}
	return hi
}

// Package randinit draws the initial parameter values of the reference
// implementations (PyTorch's default Linear/conv init, normal embeddings,
// constants) from a seeded stream, so a model initialised twice with the
// same seed is bit-identical.
package randinit

import (
	"math/rand/v2"
)

// New returns a PCG stream for seed; stream separates independent uses of one seed.
func New(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// Fill returns n copies of v.
func Fill(n int, v float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// Uniform returns n draws from U(−bound, bound). PyTorch's default Linear and
// Conv init, kaiming_uniform_(a=√5), is Uniform with bound 1/√fan_in.
func Uniform(r *rand.Rand, n int, bound float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32((2*r.Float64() - 1) * bound)
	}
	return out
}

// Normal returns n draws from N(0, std²).
func Normal(r *rand.Rand, n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64() * std)
	}
	return out
}

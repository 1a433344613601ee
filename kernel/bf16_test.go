package kernel

import (
	"math/rand/v2"
	"testing"

	"github.com/steady-ml/steady/half"
)

// roundToBF16 rounds the values of x (not the sentinel padding, which no
// kernel reads) to bfloat16 in place and returns their bit patterns.
func roundToBF16(x []float32) []uint16 {
	h := make([]uint16, len(x))
	half.BF16FromF32s(asBF16(h), x)
	half.F32sFromBF16(x, asBF16(h))
	return h
}

// TestSgemmBF16Conformance holds every bf16 GEMM of this build and CPU to a
// float64 reference on the bf16-rounded inputs, with Sgemm's tolerance:
// bf16·bf16 products are exact in float32, so only the float32 sums round.
func TestSgemmBF16Conformance(t *testing.T) {
	for _, impl := range bf16Impls() {
		t.Run(impl.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, tc := range gemmCases() {
				t.Run(tc.String(), func(t *testing.T) {
					o := newGemmOperands(tc, rng)
					a, b := roundToBF16(o.a), roundToBF16(o.b)
					want, scale := referenceGemm(tc, o)
					gemmChecked("SgemmBF16", impl.fn, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, o.lda, b, o.ldb, tc.beta, o.c, o.ldc)
					checkGemmResult(t, tc, o.c, o.ldc, want, scale)
				})
			}
		})
	}
}

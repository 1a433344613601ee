//go:build cgo && !purego

package kernel

import "testing"

// sgemmImpls lists the f32 GEMMs of this build and CPU, the one Sgemm uses
// first.
var sgemmImpls = func() []namedGemm[float32] {
	impls := []namedGemm[float32]{{"sgemm", sgemm}, {"openblas", sgemmOpenBLAS}, {"go", sgemmGo}}
	if hasAVX512F {
		impls = append(impls, namedGemm[float32]{"avx512f", sgemmAVX512})
	}
	return impls
}()

// TestSmallProductsAllocateNothing checks that, in the cgo build, a product too small to be
// split over threads (a decode step's matrix-vector products) allocates
// nothing, in float32 and bf16.
func TestSmallProductsAllocateNothing(t *testing.T) {
	const n, k = 256, 128
	a16, b16 := make([]uint16, k), make([]uint16, n*k)
	a32, b32, c := make([]float32, k), make([]float32, n*k), make([]float32, n)
	for _, c2 := range []struct {
		name string
		fn   func()
	}{
		{"Sgemm", func() { Sgemm(false, true, 1, n, k, 1, a32, k, b32, k, 0, c, n) }},
		{"SgemmBF16", func() { SgemmBF16(false, true, 1, n, k, 1, a16, k, b16, k, 0, c, n) }},
		{"Sgemm_12x32", func() { Sgemm(false, true, 12, 32, 8, 1, b32, 8, b32, 8, 0, b32[4096:], 32) }},
	} {
		if got := testing.AllocsPerRun(20, c2.fn); got != 0 {
			t.Errorf("%s allocates %v times per call", c2.name, got)
		}
	}
}

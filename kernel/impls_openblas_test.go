//go:build cgo && !purego

package kernel

// sgemmImpls lists the f32 GEMMs of this build and CPU, the one Sgemm uses
// first.
var sgemmImpls = func() []namedGemm[float32] {
	impls := []namedGemm[float32]{{"sgemm", sgemm}, {"openblas", sgemmOpenBLAS}, {"go", sgemmGo}}
	if hasAVX512F {
		impls = append(impls, namedGemm[float32]{"avx512f", sgemmAVX512})
	}
	return impls
}()

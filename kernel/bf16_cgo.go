//go:build cgo && !purego

package kernel

// #cgo CFLAGS: -O2
// #cgo LDFLAGS: -lopenblas -ldl
// #include "sbgemm.h"
import "C"

import "unsafe"

// availableBF16 prefers OpenBLAS's cblas_sbgemm where the library exports
// it, then the AVX-512 BF16 kernel where the CPU has it, then widening to
// float32.
func availableBF16() []namedGemm[uint16] {
	var impls []namedGemm[uint16]
	if C.steady_has_openblas_sbgemm() != 0 {
		impls = append(impls, namedGemm[uint16]{"openblas-sbgemm", sgemmBF16OpenBLAS})
	}
	if C.steady_has_avx512bf16() != 0 {
		impls = append(impls, namedGemm[uint16]{"avx512bf16", sgemmBF16AVX512})
	}
	return append(impls, namedGemm[uint16]{"convert+sgemm", sgemmBF16Convert})
}

// sgemmBF16OpenBLAS calls cblas_sbgemm, which runs on OpenBLAS's threads.
func sgemmBF16OpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	C.steady_sbgemm_openblas(cBool(transA), cBool(transB), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.uint16_t)(&a[0]), C.int(lda), (*C.uint16_t)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}

// sgemmBF16AVX512 runs the AVX-512 BF16 kernel of sbgemm_avx512.c, split
// over Threads() goroutines by rows or columns of C (see splitGemm). A
// product too small to split is called directly, so that it allocates no
// closure (a decode step makes dozens of them).
func sgemmBF16AVX512(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	if 2*m*n*k < parallelFlops {
		sbgemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	splitGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 12, 32, func(m, n int, a, b []uint16, c []float32) {
		sbgemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

// sbgemmAVX512 is one call of the C kernel on one block.
func sbgemmAVX512(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	C.steady_sbgemm_avx512(cBool(transA), cBool(transB), C.long(m), C.long(n), C.long(k), C.float(alpha),
		(*C.uint16_t)(unsafe.Pointer(&a[0])), C.long(lda), (*C.uint16_t)(unsafe.Pointer(&b[0])), C.long(ldb),
		C.float(beta), (*C.float)(&c[0]), C.long(ldc))
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

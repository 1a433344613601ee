//go:build cgo && !purego

package kernel

// #include "sgemm.h"
import "C"

import "golang.org/x/sys/cpu"

// hasAVX512F reports whether the CPU and OS run AVX-512F code, which
// sgemmAVX512 needs.
var hasAVX512F = cpu.X86.HasAVX512F

// sgemmAVX512 runs the AVX-512F kernel of sgemm_avx512.c, split over
// Threads() goroutines by rows or columns of C (see splitGemm). The caller
// checks hasAVX512F. A product too small to split is called directly, so
// that it allocates no closure.
func sgemmAVX512(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if 2*m*n*k < parallelFlops {
		sgemmAVX512Block(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	splitGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, 12, 32, func(m, n int, a, b, c []float32) {
		sgemmAVX512Block(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

// sgemmAVX512Block is one call of the C kernel on one block.
func sgemmAVX512Block(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.steady_sgemm_avx512(cBool(transA), cBool(transB), C.long(m), C.long(n), C.long(k), C.float(alpha),
		(*C.float)(&a[0]), C.long(lda), (*C.float)(&b[0]), C.long(ldb),
		C.float(beta), (*C.float)(&c[0]), C.long(ldc))
}

// parallelFlops is the work below which the C kernels run on one thread.
const parallelFlops = 1 << 20

// splitGemm runs call on the whole m×n product when it is small, else on
// Threads() goroutines, each with its own block of rows of C (multiples of
// mr, when m ≥ n) or of columns (multiples of nr), passing the m, n and
// slices of op(A), op(B) and C that the block starts at. Each cgo call runs
// on its own OS thread.
func splitGemm[T float32 | uint16](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, c []float32, ldc, mr, nr int, call func(m, n int, a, b []T, c []float32)) {
	switch {
	case 2*m*n*k < parallelFlops:
		call(m, n, a, b, c)
	case m >= n:
		ParallelFor(m, mr, func(lo, hi int) {
			aOff := lo * lda
			if transA {
				aOff = lo
			}
			call(hi-lo, n, a[aOff:], b, c[lo*ldc:])
		})
	default:
		ParallelFor(n, nr, func(lo, hi int) {
			bOff := lo
			if transB {
				bOff = lo * ldb
			}
			call(m, hi-lo, a, b[bOff:], c[lo:])
		})
	}
}

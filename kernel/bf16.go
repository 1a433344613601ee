package kernel

import (
	"sync"
	"unsafe"

	"github.com/steady-ml/steady/half"
)

// SgemmBF16 computes C = alpha·op(A)·op(B) + beta·C as Sgemm does, for A and
// B holding bfloat16 values as their bit patterns (float32 = uint32(h)<<16)
// and C in float32 (half.BF16FromF32s rounds float32 to bf16; convert a
// []half.BF16 with a uint16 view). Products and sums are in float32: the result is that of
// Sgemm on the widened inputs up to the order of summation (and, on the
// AVX-512 BF16 path, denormal products and sums flushed to zero).
// BF16Backend names the implementation in use.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	gemmChecked("SgemmBF16", bf16Impls()[0].fn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// BF16Backend names the implementation SgemmBF16 uses on this machine:
// "openblas-sbgemm" (cblas_sbgemm, where the OpenBLAS library exports it),
// "avx512bf16" (this package's VDPBF16PS kernel) or "convert+sgemm"
// (widen to float32, then Sgemm).
func BF16Backend() string { return bf16Impls()[0].name }

// namedGemm is one implementation of a GEMM and its name.
type namedGemm[T float32 | uint16] struct {
	name string
	fn   gemmFunc[T]
}

// bf16Impls lists the bf16 GEMMs this build and CPU offer, fastest first.
var bf16Impls = sync.OnceValue(availableBF16)

// sgemmBF16Convert widens the parts of A and B that the product reads to
// float32 and calls sgemm. It allocates both copies.
func sgemmBF16Convert(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	wa, wb := widenMatrix(rowsA, colsA, a, lda), widenMatrix(rowsB, colsB, b, ldb)
	sgemm(transA, transB, m, n, k, alpha, wa, colsA, wb, colsB, beta, c, ldc)
}

// widenMatrix returns the rows×cols bf16 matrix src (leading dimension ld)
// as a dense float32 matrix.
func widenMatrix(rows, cols int, src []uint16, ld int) []float32 {
	dst := make([]float32, rows*cols)
	parallelFor(rows, max(1, (1<<16)/cols), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			half.F32sFromBF16(dst[i*cols:(i+1)*cols], asBF16(src[i*ld:i*ld+cols]))
		}
	})
	return dst
}

// asBF16 views bf16 bit patterns as half.BF16 values (the same uint16 type
// underneath), without copying.
func asBF16(x []uint16) []half.BF16 {
	return unsafe.Slice((*half.BF16)(unsafe.SliceData(x)), len(x))
}

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

// convertBlock is how many elements of op(B) sgemmBF16Convert widens per
// sgemm call: 2²⁰ floats (4 MiB) bound its scratch memory, so that the
// 1×50280×768 output head does not widen 154 MB of weights per token.
const convertBlock = 1 << 20

// scratchPool holds float32 scratch buffers for sgemmBF16Convert.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// getScratch returns a pooled buffer of n floats (contents undefined).
func getScratch(n int) *[]float32 {
	buf := scratchPool.Get().(*[]float32)
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	*buf = (*buf)[:n]
	return buf
}

// sgemmBF16Convert widens op(A) to float32, then op(B) a block of columns at
// a time, and calls sgemm on each block.
func sgemmBF16Convert(transA, transB bool, m, n, k int, alpha float32, a []uint16, lda int, b []uint16, ldb int, beta float32, c []float32, ldc int) {
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	bufA := getScratch(rowsA * colsA)
	defer scratchPool.Put(bufA)
	widenMatrix(*bufA, rowsA, colsA, a, lda)
	nb := max(1, min(n, convertBlock/k)) // columns of op(B) per block
	bufB := getScratch(nb * k)
	defer scratchPool.Put(bufB)
	for j0 := 0; j0 < n; j0 += nb {
		w := min(nb, n-j0)
		if transB { // B is n×k: op(B)[:, j0:j0+w] is rows j0:j0+w of B.
			widenMatrix(*bufB, w, k, b[j0*ldb:], ldb)
			sgemm(transA, true, m, w, k, alpha, *bufA, colsA, *bufB, k, beta, c[j0:], ldc)
		} else { // B is k×n: op(B)[:, j0:j0+w] is columns j0:j0+w of B.
			widenMatrix(*bufB, k, w, b[j0:], ldb)
			sgemm(transA, false, m, w, k, alpha, *bufA, colsA, *bufB, w, beta, c[j0:], ldc)
		}
	}
}

// widenMatrix writes the rows×cols bf16 matrix src (leading dimension ld) to
// dst as a dense float32 matrix.
func widenMatrix(dst []float32, rows, cols int, src []uint16, ld int) {
	ParallelFor(rows, max(1, (1<<16)/cols), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			half.F32sFromBF16(dst[i*cols:(i+1)*cols], asBF16(src[i*ld:i*ld+cols]))
		}
	})
}

// asBF16 views bf16 bit patterns as half.BF16 values (the same uint16 type
// underneath), without copying.
func asBF16(x []uint16) []half.BF16 {
	return unsafe.Slice((*half.BF16)(unsafe.SliceData(x)), len(x))
}

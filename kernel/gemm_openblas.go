//go:build cgo && !purego

package kernel

// #cgo LDFLAGS: -lopenblas
// #include <cblas.h>
import "C"

import (
	"fmt"
	"strings"
)

// Backend names the implementation behind Sgemm: on CPUs with AVX-512F,
// "avx512f (m ≥ 8, n ≥ 32) + " this package's kernel for the products it
// runs, then the OpenBLAS library and the CPU kernels it chose for the rest,
// e.g. "OpenBLAS 0.3.21 (Haswell kernels)".
func Backend() string {
	config := strings.Fields(C.GoString(C.openblas_get_config()))
	version := "OpenBLAS"
	if len(config) >= 2 {
		version = config[0] + " " + config[1]
	}
	openblas := fmt.Sprintf("%s (%s kernels)", version, C.GoString(C.openblas_get_corename()))
	if hasAVX512F {
		return fmt.Sprintf("avx512f (m ≥ %d, n ≥ %d) + %s", avx512MinM, avx512MinN, openblas)
	}
	return openblas
}

// The AVX-512F kernel runs the products with at least avx512MinM rows,
// avx512MinN columns and avx512MinFlops flops: on one Zen 5 core it is
// 1.1–2× faster than OpenBLAS 0.3.21's Haswell kernels there, and slower on
// tiny ones. It also takes the thin ones (n < 32, LoRA's rank-r products),
// though its 12×32 tile is mostly padding there and one call is slower than
// OpenBLAS's: OpenBLAS's threads spin for a while after each call and take
// the cores from the rest of a training step (fp32 LoRA on pythia-160m,
// 1×256: 124–145 → 168 tokens per CPU-second).
const (
	avx512MinM     = 8
	avx512MinN     = 2
	avx512MinFlops = 1 << 19
)

// sgemm is Sgemm on the AVX-512F kernel where the CPU has it and the product
// is large enough (see avx512MinM), else on OpenBLAS; m = 1 and n = 1 go to
// OpenBLAS's sgemv, which 0.3.21 runs 4–6× faster than its packed GEMM
// (1×3072×768).
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch {
	case m == 1:
		// C(1×n) = alpha·op(B)ᵀ·a + beta·C: B stored k×n is transposed, n×k is not.
		incA := 1
		if transA {
			incA = lda
		}
		if transB {
			sgemvOpenBLAS(false, n, k, alpha, b, ldb, a, incA, beta, c, 1)
		} else {
			sgemvOpenBLAS(true, k, n, alpha, b, ldb, a, incA, beta, c, 1)
		}
	case n == 1:
		// C(m×1) = alpha·op(A)·b + beta·C.
		incB := ldb
		if transB {
			incB = 1
		}
		if transA {
			sgemvOpenBLAS(true, k, m, alpha, a, lda, b, incB, beta, c, ldc)
		} else {
			sgemvOpenBLAS(false, m, k, alpha, a, lda, b, incB, beta, c, ldc)
		}
	case hasAVX512F && m >= avx512MinM && n >= avx512MinN && 2*m*n*k >= avx512MinFlops:
		sgemmAVX512(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	default:
		sgemmOpenBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// sgemmOpenBLAS calls cblas_sgemm with CblasRowMajor.
func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.cblas_sgemm(C.CblasRowMajor, cblasTrans(transA), cblasTrans(transB),
		C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda),
		(*C.float)(&b[0]), C.blasint(ldb),
		C.float(beta), (*C.float)(&c[0]), C.blasint(ldc))
}

func sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	sgemvOpenBLAS(trans, m, n, alpha, a, lda, x, incX, beta, y, incY)
}

// sgemvOpenBLAS calls cblas_sgemv with CblasRowMajor.
func sgemvOpenBLAS(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	C.cblas_sgemv(C.CblasRowMajor, cblasTrans(trans), C.blasint(m), C.blasint(n),
		C.float(alpha), (*C.float)(&a[0]), C.blasint(lda),
		(*C.float)(&x[0]), C.blasint(incX),
		C.float(beta), (*C.float)(&y[0]), C.blasint(incY))
}

func cblasTrans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func setBackendThreads(n int) { C.openblas_set_num_threads(C.int(n)) }

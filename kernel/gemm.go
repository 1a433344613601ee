package kernel

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where
// op(A) is m×k, op(B) is k×n and C is m×n with leading dimensions lda, ldb, ldc
// (as cblas_sgemm with CblasRowMajor). transA/transB select op(X) = Xᵀ, so A is
// stored m×k (k×m when transA) and B is stored k×n (n×k when transB).
//
//	C[i,j] = alpha · Σ_p op(A)[i,p]·op(B)[p,j] + beta·C[i,j]
//
// When beta is 0, C is write-only: NaN or Inf already in C does not propagate.
// A, B and C must not overlap. Sgemm panics if a dimension is negative, a
// leading dimension is smaller than its row width or a slice is too short.
// It runs on Threads() threads. It does not allocate on the OpenBLAS path; the
// AVX-512F kernel takes its packing buffers (at most 1.1 MiB a thread) from
// C's malloc for the duration of the call.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmChecked("Sgemm", sgemm, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmFunc is one implementation of a GEMM on inputs of type T; it may
// assume checked arguments, m, n, k > 0 and alpha ≠ 0.
type gemmFunc[T float32 | uint16] func(transA, transB bool, m, n, k int, alpha float32, a []T, lda int, b []T, ldb int, beta float32, c []float32, ldc int)

// gemmChecked checks the arguments of the GEMM named fn, handles the cases
// with no product to compute and runs impl on the rest.
func gemmChecked[T float32 | uint16](fn string, impl gemmFunc[T], transA, transB bool, m, n, k int, alpha float32, a []T, lda int, b []T, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(fn, transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	ensureThreads()
	impl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemv computes y = alpha·op(A)·x + beta·y for a row-major m×n matrix A with
// leading dimension lda, where op(A) = Aᵀ (n×m, so x has m and y has n
// elements) when trans is set, else A (x has n and y has m elements). incX and
// incY are the positive strides of x and y (as cblas_sgemv with
// CblasRowMajor). When beta is 0, y is write-only.
func Sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	lenX, lenY := n, m
	if trans {
		lenX, lenY = m, n
	}
	checkMatrix("Sgemv", "A", m, n, len(a), lda)
	checkVector("Sgemv", "x", lenX, len(x), incX)
	checkVector("Sgemv", "y", lenY, len(y), incY)
	if lenY == 0 {
		return
	}
	if lenX == 0 || alpha == 0 {
		scaleMatrix(lenY, 1, beta, y, incY)
		return
	}
	ensureThreads()
	sgemv(trans, m, n, alpha, a, lda, x, incX, beta, y, incY)
}

// scaleMatrix sets C = beta·C for an m×n matrix C; beta = 0 writes zeros.
func scaleMatrix(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// checkGemm panics unless the arguments describe a valid GEMM (see Sgemm).
func checkGemm(fn string, transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernel.%s: negative dimension m=%d n=%d k=%d", fn, m, n, k))
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	checkMatrix(fn, "A", rowsA, colsA, lenA, lda)
	checkMatrix(fn, "B", rowsB, colsB, lenB, ldb)
	checkMatrix(fn, "C", m, n, lenC, ldc)
}

// checkMatrix panics unless a slice of length n with leading dimension ld
// holds a rows×cols row-major matrix.
func checkMatrix(fn, name string, rows, cols, n, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("kernel.%s: ld%s=%d < max(1, %d columns)", fn, name, ld, cols))
	}
	if rows > 0 && cols > 0 && n < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernel.%s: len(%s)=%d < %d for %d×%d with ld%s=%d", fn, name, n, (rows-1)*ld+cols, rows, cols, name, ld))
	}
}

// checkVector panics unless a slice of length n with stride inc holds count
// elements.
func checkVector(fn, name string, count, n, inc int) {
	if inc < 1 {
		panic(fmt.Sprintf("kernel.%s: inc%s=%d < 1", fn, name, inc))
	}
	if count > 0 && n < (count-1)*inc+1 {
		panic(fmt.Sprintf("kernel.%s: len(%s)=%d < %d for %d elements with inc%s=%d", fn, name, n, (count-1)*inc+1, count, name, inc))
	}
}

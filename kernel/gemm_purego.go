//go:build purego || !cgo

package kernel

// Backend names the implementation behind Sgemm.
func Backend() string { return "pure Go" }

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmGo(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	sgemvGo(trans, m, n, alpha, a, lda, x, incX, beta, y, incY)
}

// setBackendThreads has nothing to configure: the Go kernels read Threads().
func setBackendThreads(int) {}

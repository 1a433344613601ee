// Package kernel holds the numerical kernels on plain slices: GEMM (OpenBLAS
// through cgo by default, pure Go under the purego build tag) and fused vector
// kernels. Kernels write into a destination the caller provides and never
// allocate in their hot loops.
//
// Matrices are row-major. Sgemm computes C = alpha·op(A)·op(B) + beta·C with
// op(X) = X or Xᵀ, exactly as cblas_sgemm with CblasRowMajor.
package kernel

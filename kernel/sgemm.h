// Declaration of the float32 GEMM kernel in sgemm_avx512.c; see
// gemm_avx512.go for its contract.

void steady_sgemm_avx512(int transA, int transB, long m, long n, long k, float alpha, const float *a,
                         long lda, const float *b, long ldb, float beta, float *c, long ldc);

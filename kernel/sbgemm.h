// Declarations of the bf16 GEMM kernels in sbgemm_avx512.c and
// sbgemm_openblas.c; see bf16_cgo.go for their contracts.
#include <stdint.h>

int steady_has_avx512bf16(void);
void steady_sbgemm_avx512(int transA, int transB, long m, long n, long k, float alpha,
                          const uint16_t *a, long lda, const uint16_t *b, long ldb,
                          float beta, float *c, long ldc);
int steady_has_openblas_sbgemm(void);
void steady_sbgemm_openblas(int transA, int transB, int m, int n, int k, float alpha,
                            const uint16_t *a, int lda, const uint16_t *b, int ldb,
                            float beta, float *c, int ldc);

//go:build cgo && !purego

// cblas_sbgemm looked up at run time: OpenBLAS declares it in cblas.h but
// builds without BUILD_BFLOAT16 (Debian's among them) do not export it.
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include "sbgemm.h"

static __typeof__(cblas_sbgemm) *sbgemm_fn;

int steady_has_openblas_sbgemm(void) {
	sbgemm_fn = (__typeof__(cblas_sbgemm) *)dlsym(RTLD_DEFAULT, "cblas_sbgemm");
	return sbgemm_fn != 0;
}

void steady_sbgemm_openblas(int transA, int transB, int m, int n, int k, float alpha,
                            const uint16_t *a, int lda, const uint16_t *b, int ldb,
                            float beta, float *c, int ldc) {
	sbgemm_fn(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
	          m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestSgemv(t *testing.T) {
	tests := []struct {
		trans       bool
		m, n        int
		alpha, beta float32
		incX, incY  int
	}{
		{false, 1, 1, 1, 0, 1, 1},
		{false, 7, 13, 0.5, -1.5, 1, 1},
		{true, 7, 13, 0.5, -1.5, 1, 1},
		{false, 33, 65, -2, 0, 3, 2},
		{true, 33, 65, -2, 0, 2, 3},
		{true, 300, 129, 1, 1, 1, 1},
		{false, 129, 300, 0, 0.25, 1, 1},
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tt := range tests {
		name := fmt.Sprintf("trans=%v/%dx%d/alpha=%g,beta=%g/incX=%d,incY=%d", tt.trans, tt.m, tt.n, tt.alpha, tt.beta, tt.incX, tt.incY)
		t.Run(name, func(t *testing.T) {
			lda := tt.n + 2
			a := randomMatrix(tt.m, tt.n, lda, rng)
			lenX, lenY := tt.n, tt.m
			if tt.trans {
				lenX, lenY = tt.m, tt.n
			}
			x := randomMatrix(lenX, 1, tt.incX, rng)
			y := randomMatrix(lenY, 1, tt.incY, rng)
			if tt.beta == 0 {
				for i := range lenY {
					y[i*tt.incY] = float32(math.NaN())
				}
			}
			// Sgemv is the GEMM C(lenY×1) = alpha·op(A)·x + beta·C with x a
			// column of stride incX and C a column of stride incY.
			tc := gemmCase{m: lenY, n: 1, k: lenX, transA: tt.trans, alpha: tt.alpha, beta: tt.beta}
			want, scale := referenceGemm(tc, gemmOperands{a: a, b: x, c: y, lda: lda, ldb: tt.incX, ldc: tt.incY})
			Sgemv(tt.trans, tt.m, tt.n, tt.alpha, a, lda, x, tt.incX, tt.beta, y, tt.incY)
			checkGemmResult(t, tc, y, tt.incY, want, scale)
		})
	}
}

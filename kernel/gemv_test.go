package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
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

// TestArgumentChecks checks that bad arguments panic with a message naming
// the argument.
func TestArgumentChecks(t *testing.T) {
	x := make([]float32, 12)
	h := make([]uint16, 12)
	tests := []struct {
		name, want string
		call       func()
	}{
		{"negative_m", "negative dimension m=-1", func() { Sgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"lda_below_width", "ldA=2 < max(1, 3 columns)", func() { Sgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) }},
		{"short_b_transposed", "len(B)=12 < 19 for 5×3 with ldB=4", func() { Sgemm(false, true, 2, 5, 3, 1, x, 3, x, 4, 0, x, 5) }},
		{"short_c", "len(C)=12 < 13 for 2×5 with ldC=8", func() { Sgemm(false, false, 2, 5, 1, 1, x, 1, x, 5, 0, x, 8) }},
		{"bf16_short_a", "kernel.SgemmBF16: len(A)=12 < 15", func() { SgemmBF16(false, false, 5, 1, 3, 1, h, 3, h, 1, 0, x, 1) }},
		{"gemv_inc_zero", "incx=0 < 1", func() { Sgemv(false, 2, 2, 1, x, 2, x, 0, 0, x, 1) }},
		{"gemv_short_y", "len(y)=12 < 13 for 7 elements with incy=2", func() { Sgemv(true, 1, 7, 1, x, 7, x, 1, 0, x, 2) }},
		{"threads_zero", "n=0 < 1", func() { SetThreads(0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				msg := fmt.Sprint(recover())
				if !strings.Contains(msg, tt.want) {
					t.Fatalf("panic %q, want it to contain %q", msg, tt.want)
				}
			}()
			tt.call()
		})
	}
}

func ExampleSgemm() {
	// C (2×2) = A (2×3) · Bᵀ, with B stored 2×3 as a Linear layer's weight.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 0, 0, 1, 1}
	c := make([]float32, 4)
	Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [1 5 4 11]
}

func ExampleSgemmBF16() {
	// 1, 2, 3, 4 and 0.5 are exact in bf16: bit patterns are the top 16
	// bits of the float32.
	a := []uint16{0x3f80, 0x4000} // 1×2: [1 2]
	b := []uint16{0x4040, 0x4080} // 2×1: [3; 4]
	c := []float32{10}
	SgemmBF16(false, false, 1, 1, 2, 0.5, a, 2, b, 1, 1, c, 1) // c = 0.5·(3+8) + 10
	fmt.Println(c[0])
	// Output: 15.5
}

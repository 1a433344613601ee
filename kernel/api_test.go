package kernel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

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

// TestConcurrentCalls checks that calls from several goroutines at once (a
// pool of independent runs) give the results of the same calls made one at
// a time.
func TestConcurrentCalls(t *testing.T) {
	const calls = 4
	tc := gemmCase{m: 37, n: 70, k: 129, transB: true, alpha: 1}
	rng := rand.New(rand.NewPCG(9, 10))
	ops := make([]gemmOperands, calls)
	bf16 := make([][2][]uint16, calls)
	for i := range ops {
		ops[i] = newGemmOperands(tc, rng)
		bf16[i] = [2][]uint16{roundToBF16(ops[i].a), roundToBF16(ops[i].b)}
	}
	run := func(i int, f32, bf []float32) {
		o := ops[i]
		Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, 0, f32, o.ldc)
		SgemmBF16(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, bf16[i][0], o.lda, bf16[i][1], o.ldb, 0, bf, o.ldc)
	}
	want := make([][2][]float32, calls)
	for i := range want {
		want[i] = [2][]float32{make([]float32, len(ops[i].c)), make([]float32, len(ops[i].c))}
		run(i, want[i][0], want[i][1])
	}
	got := make([][2][]float32, calls)
	var wg sync.WaitGroup
	for i := range got {
		got[i] = [2][]float32{make([]float32, len(ops[i].c)), make([]float32, len(ops[i].c))}
		wg.Go(func() { run(i, got[i][0], got[i][1]) })
	}
	wg.Wait()
	for i := range got {
		for p, name := range []string{"Sgemm", "SgemmBF16"} {
			if !slices.Equal(got[i][p], want[i][p]) {
				t.Errorf("call %d: concurrent %s differs from the same call made alone", i, name)
			}
		}
	}
}

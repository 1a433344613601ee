package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// gemmCase is one conformance case: C (m×n) = alpha·op(A)·op(B) + beta·C,
// every matrix stored with pad extra columns beyond its width.
type gemmCase struct {
	m, n, k        int
	transA, transB bool
	alpha, beta    float32
	pad            int
}

func (tc gemmCase) String() string {
	ta, tb := "N", "N"
	if tc.transA {
		ta = "T"
	}
	if tc.transB {
		tb = "T"
	}
	return fmt.Sprintf("%dx%dx%d/A%s_B%s/alpha=%g,beta=%g/pad=%d", tc.m, tc.n, tc.k, ta, tb, tc.alpha, tc.beta, tc.pad)
}

// gemmCases covers every transpose pair on odd and edge shapes (1×1×1,
// gemv-like m = 1 and n = 1, shapes that cross the blocking of every
// kernel, more than convertBlock elements of op(B)), with alpha/beta ∉ {0, 1}
// and beta = 0 over NaN in C.
func gemmCases() []gemmCase {
	type shape struct{ m, n, k int }
	small := []shape{{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {1, 300, 129}, {1, 70, 1000}, {1, 4500, 9}, {2, 45, 31}, {65, 1, 33}, {13, 16, 1}, {0, 4, 4}, {4, 4, 0}}
	large := []shape{{150, 90, 801}, {37, 1100, 70}, {2, 1100, 1000}, {600, 8, 768}, {300, 3, 1000}} // n < 32: LoRA's rank-r products
	scalars := [][2]float32{{1, 0}, {0.5, -1.5}, {-2, 1}, {0, 0.25}}
	var cases []gemmCase
	for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
		for _, s := range small {
			for _, ab := range scalars {
				for _, pad := range []int{0, 3} {
					cases = append(cases, gemmCase{s.m, s.n, s.k, tr[0], tr[1], ab[0], ab[1], pad})
				}
			}
		}
		for _, s := range large {
			cases = append(cases, gemmCase{s.m, s.n, s.k, tr[0], tr[1], 0.75, -0.5, 2})
		}
	}
	return cases
}

// gemmOperands holds one case's matrices; padding holds a sentinel that no
// kernel may change.
type gemmOperands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

const sentinel = float32(-7777)

func newGemmOperands(tc gemmCase, rng *rand.Rand) gemmOperands {
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	o := gemmOperands{lda: max(1, colsA+tc.pad), ldb: max(1, colsB+tc.pad), ldc: max(1, tc.n+tc.pad)}
	o.a = randomMatrix(rowsA, colsA, o.lda, rng)
	o.b = randomMatrix(rowsB, colsB, o.ldb, rng)
	o.c = randomMatrix(tc.m, tc.n, o.ldc, rng)
	if tc.beta == 0 {
		for i := range tc.m {
			for j := range tc.n {
				o.c[i*o.ldc+j] = float32(math.NaN())
			}
		}
	}
	return o
}

// randomMatrix returns a rows×cols matrix of values in [-1, 1) with leading
// dimension ld, the padding set to sentinel.
func randomMatrix(rows, cols, ld int, rng *rand.Rand) []float32 {
	x := make([]float32, max(0, rows*ld))
	for i := range rows {
		for j := range ld {
			x[i*ld+j] = sentinel
			if j < cols {
				x[i*ld+j] = 2*rng.Float32() - 1
			}
		}
	}
	return x
}

// referenceGemm returns C = alpha·op(A)·op(B) + beta·C in float64 and, per
// element, the scale |alpha|·Σ_p|op(A)[i,p]·op(B)[p,j]| + |beta·C[i,j]| that
// bounds its rounding error.
func referenceGemm(tc gemmCase, o gemmOperands) (want, scale []float64) {
	want, scale = make([]float64, tc.m*tc.n), make([]float64, tc.m*tc.n)
	for i := range tc.m {
		for j := range tc.n {
			var s, abs float64
			for p := range tc.k {
				ai, bi := i*o.lda+p, p*o.ldb+j
				if tc.transA {
					ai = p*o.lda + i
				}
				if tc.transB {
					bi = j*o.ldb + p
				}
				av, bv := o.a[ai], o.b[bi]
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			w, sc := float64(tc.alpha)*s, math.Abs(float64(tc.alpha))*abs
			if tc.beta != 0 {
				w += float64(tc.beta) * float64(o.c[i*o.ldc+j])
				sc += math.Abs(float64(tc.beta) * float64(o.c[i*o.ldc+j]))
			}
			want[i*tc.n+j], scale[i*tc.n+j] = w, sc
		}
	}
	return want, scale
}

// checkGemmResult compares got (with leading dimension ldc) to want within
// tol·scale per element, and checks that C's padding still holds sentinel.
// tol = 2·(k+2)·2⁻²⁴ is twice the classical bound γ_{k+2} on the relative
// error of a float32 dot product of length k followed by alpha and beta.
func checkGemmResult(t *testing.T, tc gemmCase, got []float32, ldc int, want, scale []float64) {
	t.Helper()
	tol := 2 * float64(tc.k+2) * 0x1p-24
	var maxAbs float64
	bad, badI, badJ := 0, -1, -1
	for i := range tc.m {
		for j := range ldc {
			g := got[i*ldc+j]
			if j >= tc.n {
				if g != sentinel {
					t.Fatalf("C[%d,%d] = %g in the padding beyond n=%d, want it untouched", i, j, g, tc.n)
				}
				continue
			}
			w, err := want[i*tc.n+j], math.Abs(float64(g)-want[i*tc.n+j])
			if math.IsNaN(float64(g)) {
				err = math.Inf(1)
			}
			maxAbs = max(maxAbs, err)
			if err > tol*scale[i*tc.n+j]+1e-30 {
				if bad == 0 {
					badI, badJ = i, j
					t.Errorf("C[%d,%d] = %g, want %g (|err| %.3g > tol %.3g·scale %.3g)", i, j, g, w, err, tol, scale[i*tc.n+j])
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d elements out of tolerance; max |err| %.3g; first bad C[%d,%d]", bad, tc.m*tc.n, maxAbs, badI, badJ)
	}
}

func TestSgemmConformance(t *testing.T) {
	for _, impl := range sgemmImpls {
		t.Run(impl.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			for _, tc := range gemmCases() {
				t.Run(tc.String(), func(t *testing.T) {
					o := newGemmOperands(tc, rng)
					want, scale := referenceGemm(tc, o)
					gemmChecked("Sgemm", impl.fn, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, o.a, o.lda, o.b, o.ldb, tc.beta, o.c, o.ldc)
					checkGemmResult(t, tc, o.c, o.ldc, want, scale)
				})
			}
		})
	}
}

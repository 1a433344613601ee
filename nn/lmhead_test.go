package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestHeadLossMatchesWholeLogits checks the chunked head (LMHeadLoss) against
// its twin on the whole (rows, vocab) logits: Linear.Forward,
// CrossEntropySum and Linear.Backward. The loss and dx must be
// bit-equal; dW equal up to the float32 order of the sum over rows (and,
// under autocast, a half ulp where that order moves a value across a
// rounding boundary).
func TestHeadLossMatchesWholeLogits(t *testing.T) {
	const in, vocab = 48, 700
	for _, cast := range []Autocast{AutocastOff, AutocastBF16, AutocastF16} {
		for _, rows := range []int{5, LMHeadChunkRows, 3*LMHeadChunkRows + 7} {
			for _, frozen := range []bool{false, true} {
				t.Run(fmt.Sprintf("%v/rows=%d/frozen=%v", cast, rows, frozen), func(t *testing.T) {
					r := rand.New(rand.NewPCG(1, uint64(rows)))
					w, x := normalSlice(r, vocab*in, 0.5), normalSlice(r, rows*in, 1)
					head, err := NewLinear(w, nil, in, vocab)
					if err != nil {
						t.Fatal(err)
					}
					head.Cast = cast
					targets := make([]int32, rows)
					for i := range targets {
						targets[i] = int32(r.IntN(vocab))
					}
					targets[rows/2] = IgnoreIndex
					scale := float32(0.37)

					// twin: the whole logits at once
					logits := make([]float32, rows*vocab)
					head.Forward(logits, x, rows)
					wantLoss, _, err := CrossEntropySum(logits, logits, targets, vocab, scale)
					if err != nil {
						t.Fatal(err)
					}
					wantDx := make([]float32, rows*in)
					var wantDW, gotDW []float32
					if !frozen {
						wantDW, gotDW = make([]float32, vocab*in), make([]float32, vocab*in)
					}
					head.Backward(wantDx, wantDW, nil, logits, x, rows)

					gotDx := make([]float32, rows*in)
					var buf []float32
					gotLoss := LMHeadLoss(&head, gotDx, gotDW, x, targets, scale, &buf)
					if gotLoss != wantLoss {
						t.Errorf("loss %v, want %v", gotLoss, wantLoss)
					}
					for i := range wantDx {
						if gotDx[i] != wantDx[i] {
							t.Fatalf("dx[%d] = %v, want %v (bit-equal)", i, gotDx[i], wantDx[i])
						}
					}
					// float32 reordering: a few ulps of the largest |dW|, plus one half ulp
					var atol, rtol float64
					for _, v := range wantDW {
						atol = max(atol, 1e-6*math.Abs(float64(v)))
					}
					if cast != AutocastOff {
						rtol = 1.0 / 128 // one bf16 ulp; f16's is finer
					}
					for i := range wantDW {
						if d := math.Abs(float64(gotDW[i] - wantDW[i])); d > rtol*math.Abs(float64(wantDW[i]))+atol {
							t.Fatalf("dW[%d] = %v, want %v (|Δ| %.3g)", i, gotDW[i], wantDW[i], d)
						}
					}
				})
			}
		}
	}
}

// randn returns n normal values times scale.
func normalSlice(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64()) * scale
	}
	return x
}

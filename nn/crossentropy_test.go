package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// crossEntropyRef is the float64 twin of CrossEntropy: the mean over
// non-ignored rows of logsumexp(x_r) − x_r[t_r], as PyTorch computes it.
func crossEntropyRef(logits []float64, targets []int32, vocab int) float64 {
	var sum float64
	n := 0
	for r, t := range targets {
		if t == IgnoreIndex {
			continue
		}
		x := logits[r*vocab : (r+1)*vocab]
		m := slices.Max(x)
		var s float64
		for _, v := range x {
			s += math.Exp(v - m)
		}
		sum += m + math.Log(s) - x[t]
		n++
	}
	return sum / float64(n)
}

func TestCrossEntropyGradient(t *testing.T) {
	cases := []struct {
		name        string
		rows, vocab int
		ignore      []int // rows whose target is IgnoreIndex
		scale       float32
	}{
		{"rows1_vocab2", 1, 2, nil, 1},
		{"rows5_vocab7_two_ignored", 5, 7, []int{1, 4}, 2},
		{"rows9_vocab33_wide_logits", 9, 33, []int{0}, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, uint64(c.rows)))
			logits := randSlice(r, c.rows*c.vocab, c.scale)
			targets := make([]int32, c.rows)
			for i := range targets {
				targets[i] = int32(r.IntN(c.vocab))
			}
			for _, i := range c.ignore {
				targets[i] = IgnoreIndex
			}
			dlogits := randSlice(r, len(logits), 100) // garbage CrossEntropy must overwrite
			loss, n, err := CrossEntropy(dlogits, logits, targets, c.vocab)
			if err != nil {
				t.Fatal(err)
			}
			if n != c.rows-len(c.ignore) {
				t.Errorf("count %d, want %d", n, c.rows-len(c.ignore))
			}
			x := to64(logits)
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return []float64{crossEntropyRef(x, targets, c.vocab)} },
				forward32: []float32{float32(loss)},
				w:         []float64{1},
				tensors:   []fdTensor{{"logits", x, dlogits}},
			})
			// In place: the gradient replaces the logits.
			inPlace := slices.Clone(logits)
			if _, _, err := CrossEntropy(inPlace, inPlace, targets, c.vocab); err != nil {
				t.Fatal(err)
			}
			requireClose(t, "dlogits in place", inPlace, dlogits, 0, 0)
		})
	}
}

// TestCrossEntropyIsStableForLargeLogits checks the max-shift: logits near
// ±1e4 would overflow a plain exp.
func TestCrossEntropyIsStableForLargeLogits(t *testing.T) {
	logits := []float32{1e4, 1e4 - 1, -1e4, 3e4, 3e4 + 2, 0}
	targets := []int32{1, 0}
	loss, _, err := CrossEntropy(nil, logits, targets, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := crossEntropyRef(to64(logits), targets, 3)
	if math.Abs(loss-want) > 1e-6*math.Abs(want) {
		t.Errorf("loss %g, want %g", loss, want)
	}
}

func TestCrossEntropyRejectsBadTargets(t *testing.T) {
	cases := []struct {
		name    string
		targets []int32
		want    string
	}{
		{"target_equal_to_vocab", []int32{0, 3}, "target 3 at row 1"},
		{"negative_target_not_ignore", []int32{-1, 0}, "target -1 at row 0"},
		{"all_ignored", []int32{IgnoreIndex, IgnoreIndex}, "all 2 targets are ignored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := []float32{7, 7, 7, 7, 7, 7}
			_, _, err := CrossEntropy(d, make([]float32, 6), c.targets, 3)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if slices.ContainsFunc(d, func(v float32) bool { return v != 7 }) {
				t.Errorf("dlogits written on error: %v", d)
			}
		})
	}
}

// TestCrossEntropyParallelMatchesRowByRow checks the parallel split on an
// input large enough to use it against the row-by-row loss and gradient.
func TestCrossEntropyParallelMatchesRowByRow(t *testing.T) {
	const rows, vocab = 37, 8191
	r := rand.New(rand.NewPCG(59, 1))
	logits := randSlice(r, rows*vocab, 3)
	targets := make([]int32, rows)
	for i := range targets {
		targets[i] = int32(r.IntN(vocab))
	}
	targets[5] = IgnoreIndex
	got := make([]float32, len(logits))
	sum, n, err := CrossEntropySum(got, logits, targets, vocab, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, len(logits))
	var wantSum float64
	for i, tgt := range targets {
		if tgt != IgnoreIndex {
			wantSum += crossEntropyRow(want[i*vocab:(i+1)*vocab], logits[i*vocab:(i+1)*vocab], int(tgt), 0.5)
		}
	}
	if n != rows-1 || sum != wantSum {
		t.Errorf("sum %v over %d rows, want %v over %d", sum, n, wantSum, rows-1)
	}
	requireClose(t, "dlogits", got, want, 0, 0)
}

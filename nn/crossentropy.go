package nn

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// IgnoreIndex is the target that contributes neither loss nor gradient
// (ignore_index = −100, the default of PyTorch's F.cross_entropy); data
// loaders put it on padding and on prompt tokens that are not trained on.
const IgnoreIndex = -100

// CrossEntropy is the mean next-token cross-entropy over the targets that are
// not IgnoreIndex, fused with its gradient (PyTorch F.cross_entropy with
// reduction='mean'). With N such targets and p = softmax(logits row):
//
//	loss = (1/N) Σ_r (logsumexp(logits_r) − logits_r[target_r])
//	dlogits_r = (p_r − onehot(target_r)) / N          written; zero on ignored rows
//
//	logits, dlogits: (rows, vocab)   targets: (rows)
//
// dlogits may be nil (loss only) or alias logits (the gradient replaces the
// logits in place). It returns the loss and N, or an error naming the first
// target outside [0, vocab) that is not IgnoreIndex, or when every target is
// ignored (PyTorch's mean is then NaN); nothing is written on error.
func CrossEntropy(dlogits, logits []float32, targets []int32, vocab int) (loss float64, count int, err error) {
	count, err = countTargets(targets, vocab)
	if err != nil {
		return 0, 0, err
	}
	if count == 0 {
		return 0, 0, fmt.Errorf("nn.CrossEntropy: all %d targets are ignored (%d), the mean is undefined", len(targets), IgnoreIndex)
	}
	sum, _, err := CrossEntropySum(dlogits, logits, targets, vocab, 1/float32(count))
	return sum / float64(count), count, err
}

// CrossEntropySum is CrossEntropy without the mean: it returns the summed
// loss Σ_r (logsumexp(logits_r) − logits_r[target_r]) and the number N of
// targets that are not IgnoreIndex, and writes
//
//	dlogits_r = gradScale · (softmax(logits_r) − onehot(target_r))      zero on ignored rows
//
// so a trainer can average over the tokens of several micro-batches
// (gradScale = 1/total tokens) and fold in a loss scale. Shapes, aliasing
// and errors are as for CrossEntropy, except that N = 0 is not an error.
//
// Numerics: each row is shifted by its maximum before exp (expOrZero), the row
// sum of exponentials and the loss are accumulated in float64, and the
// logsumexp is m + log Σ e^{x−m}. Rows run in parallel for large inputs; the
// result is the same for any number of workers.
func CrossEntropySum(dlogits, logits []float32, targets []int32, vocab int, gradScale float32) (sum float64, count int, err error) {
	rows := len(targets)
	if vocab <= 0 || len(logits) < rows*vocab || (dlogits != nil && len(dlogits) < rows*vocab) {
		panic(fmt.Sprintf("nn.CrossEntropySum: logits %d, dlogits %d elements for %d rows × vocab %d", len(logits), len(dlogits), rows, vocab))
	}
	if count, err = countTargets(targets, vocab); err != nil {
		return 0, 0, err
	}
	// Rows are split into contiguous ranges across goroutines; the row losses
	// are summed in row order, so the result does not depend on the split.
	losses := make([]float64, rows)
	workers := min(runtime.GOMAXPROCS(0), rows)
	if rows*vocab < ceMinParallel {
		workers = 1
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(r0, r1 int) {
			defer wg.Done()
			for r := r0; r < r1; r++ {
				x := logits[r*vocab : (r+1)*vocab]
				var d []float32
				if dlogits != nil {
					d = dlogits[r*vocab : (r+1)*vocab]
				}
				if targets[r] == IgnoreIndex {
					clear(d)
					continue
				}
				losses[r] = crossEntropyRow(d, x, int(targets[r]), gradScale)
			}
		}(w*rows/workers, (w+1)*rows/workers)
	}
	wg.Wait()
	for _, l := range losses {
		sum += l
	}
	return sum, count, nil
}

// ceMinParallel is the number of logits (rows·vocab) below which
// CrossEntropySum runs on the calling goroutine.
const ceMinParallel = 1 << 18

// crossEntropyRow returns logsumexp(x) − x[tgt] and, when d is not nil,
// writes d = gradScale·(softmax(x) − onehot(tgt)); d may alias x. The
// softmax runs in softmaxRow: the vectorised C kernel of elementwise.c in the
// default build, softmaxRowGo in the purego build.
func crossEntropyRow(d, x []float32, tgt int, gradScale float32) float64 {
	xt := x[tgt] // read before d overwrites x when they alias
	m, s := softmaxRow(d, x, gradScale)
	if d != nil {
		d[tgt] -= gradScale
	}
	return float64(m) + math.Log(s) - float64(xt)
}

// softmaxRowGo is softmaxRow's Go twin: it returns m = max_j x_j and
// s = Σ_j e^{x_j − m} (e by expClamped, 0 below −87.3 as Exp32 flushes; the
// sum in float64) and, when d is not nil, writes
//
//	d_j = gradScale · e^{x_j − m} / s          (gradScale·softmax(x)_j)
//
// d may alias x. The C kernel sums in vector lanes, so s differs from this
// sequential sum by float64 rounding only.
func softmaxRowGo(d, x []float32, gradScale float32) (m float32, s float64) {
	d = d[:min(len(d), len(x))]
	m = x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	if d == nil {
		for _, v := range x {
			s += float64(expOrZero(v - m))
		}
		return m, s
	}
	for j, v := range x {
		e := expOrZero(v - m)
		d[j] = e
		s += float64(e)
	}
	k := float32(float64(gradScale) / s)
	for j := range d {
		d[j] *= k
	}
	return m, s
}

// expOrZero is e^x by expClamped, and 0 below −87.3 where Exp32 flushes to 0
// (a masked logit of −∞ contributes nothing); exp_or_zero in elementwise.c.
func expOrZero(x float32) float32 {
	if x < -87.3 {
		return 0
	}
	return expClamped(x)
}

// countTargets returns the number of targets that are not IgnoreIndex, or an
// error naming the first one outside [0, vocab).
func countTargets(targets []int32, vocab int) (int, error) {
	n := 0
	for r, t := range targets {
		if t == IgnoreIndex {
			continue
		}
		if t < 0 || int(t) >= vocab {
			return 0, fmt.Errorf("nn.CrossEntropy: target %d at row %d is outside the vocabulary [0, %d) and is not the ignore index %d", t, r, vocab, IgnoreIndex)
		}
		n++
	}
	return n, nil
}

package nn

import (
	"runtime"
	"sync"

	"github.com/steady-ml/steady/kernel"
)

// LMHeadChunkRows is how many rows of logits a training step holds at once:
// LMHeadLoss runs the LM head, the cross-entropy and the head's backward on
// chunks of this many rows, so the (batch·seq, vocab) logits and their
// gradient never exist whole (128 rows of a 50k vocabulary are 26 MB, where
// 1024 rows' logits and gradient were 412 MB).
const LMHeadChunkRows = 128

// LMHeadLoss is a language model's output head, the cross-entropy and the
// head's backward of a training step, fused over chunks of rows of x
// (rows, In) so that one chunk of logits exists at a time; it returns the
// summed loss and writes dx. For each chunk c:
//
//	logits_c  = x_c·Wᵀ                                  half and rounded once under autocast
//	loss     += Σ_{r∈c} logsumexp(logits_r) − logits_r[t_r]     float64, in row order
//	dlogits_c = scale·(softmax(logits_c) − onehot(t_c)), in place of logits_c; zero where ignored
//	dx_c      = dlogits_c·W                             written
//	dW       += dlogits_cᵀ·x_c                          skipped when dW is nil (a frozen head)
//
// The loss, the logits, dlogits and dx are bit for bit those of the whole
// (rows, vocab) product (each row's logits, loss and gradient depend on that
// row only, and the loss is summed in the same order as
// CrossEntropySum); dW differs only in the float32 order of its sum over
// the rows. Under autocast dlogits enters the half logits rounded, and dW
// keeps torch's one rounding of the whole half product: the chunks' products
// of rounded operands sum in float32 scratch, rounded once and added into dW
// at the end. A LoRA on the head runs on all rows in one chunk, since its
// dropout mask and gradients are those of one Forward and Backward.
//
//	x, dx: (rows, In)   targets: (rows)   dW: (vocab, In)
//	buf: the logits chunk, grown as needed: (min(rows, LMHeadChunkRows), vocab)
func LMHeadLoss(head *Linear, dx, dW, x []float32, targets []int32, scale float32, buf *[]float32) float64 {
	rows, vocab, in := len(targets), head.Out, head.In
	chunk := min(rows, LMHeadChunkRows)
	if head.LoRA != nil {
		chunk = rows
	}
	nChunks := (rows + chunk - 1) / chunk
	if cap(*buf) < chunk*vocab {
		*buf = make([]float32, chunk*vocab)
	}
	// The half weight gradient of more than one chunk sums in float32 scratch.
	var dWSum, xHalf *[]float32
	dWChunk := dW
	if head.Cast != AutocastOff && dW != nil && nChunks > 1 {
		dWSum, xHalf = GetScratch(vocab*in), GetScratch(chunk*in)
		defer PutScratch(dWSum)
		defer PutScratch(xHalf)
		clear(*dWSum)
		dWChunk = nil
	}
	if head.Cast == AutocastBF16 {
		// every chunk's two products read the same rounded weight: round it once
		w := getHalf(vocab * in)
		defer putHalf(w)
		h := head.withPackedWeight(*w)
		head = &h
	}
	var sum float64
	losses := make([]float64, chunk)
	for c := range nChunks {
		// Equal chunks (r0 = c·rows/nChunks) keep every GEMM at ≥ LMHeadChunkRows/2
		// rows, on the same kernel as the whole product.
		r0, r1 := c*rows/nChunks, (c+1)*rows/nChunks
		n := r1 - r0
		logits, xc, dxc := (*buf)[:n*vocab], x[r0*in:r1*in], dx[r0*in:r1*in]
		head.Forward(logits, xc, n)
		lmHeadRowLosses(logits, targets[r0:r1], vocab, scale, losses[:n])
		for _, l := range losses[:n] {
			sum += l
		}
		head.Backward(dxc, dWChunk, nil, logits, xc, n)
		if dWSum != nil {
			// dW_sum (vocab, In) += round(dlogits_c)ᵀ·round(x_c), unrounded float32 sum
			head.Cast.Round(logits)
			copy(*xHalf, xc)
			head.Cast.Round((*xHalf)[:n*in])
			kernel.Sgemm(true, false, vocab, in, n, 1, logits, vocab, *xHalf, in, 1, *dWSum, in)
		}
	}
	if dWSum != nil {
		head.Cast.Round(*dWSum)
		for i, v := range *dWSum {
			dW[i] += v
		}
	}
	return sum
}

// lmHeadRowLosses writes each row's cross-entropy into losses and its gradient
// scale·(softmax − onehot) over logits in place (CrossEntropySum on one
// row at a time, so that the caller sums the row losses in row order, as
// CrossEntropySum does for a whole batch). The rows are split over
// GOMAXPROCS goroutines.
//
//	logits: (n, vocab)   targets, losses: (n)
func lmHeadRowLosses(logits []float32, targets []int32, vocab int, scale float32, losses []float64) {
	n := len(targets)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := w * n / workers; r < (w+1)*n/workers; r++ {
				row := logits[r*vocab : (r+1)*vocab]
				l, _, err := CrossEntropySum(row, row, targets[r:r+1], vocab, scale)
				if err != nil { // the targets were checked
					panic(err)
				}
				losses[r] = l
			}
		})
	}
	wg.Wait()
}

package train

import (
	"math"

	"github.com/steady-ml/steady/nn"
)

// The pure precision modes (bf16-pure, fp16-pure) store weights, gradients and AdamW's moments
// in a half format: float32 slices whose every value is a half value, rounded to nearest even
// after each write. The functions here do that rounding where the float32 path writes; the
// float32 path (format nn.AutocastOff) never reaches them.

// storedBlock is the elements a pure-mode loop computes and then rounds at a time: 4 KiB of
// each slice, so the block is still in L1 when it is rounded and the rounding adds no pass over
// memory, while the float32 arithmetic and the vectorised rounding stay the code the other
// modes run.
const storedBlock = 1024

// inBlocks calls f(lo, hi) on consecutive ranges of at most storedBlock covering 0..n.
func inBlocks(n int, f func(lo, hi int)) {
	for lo := 0; lo < n; lo += storedBlock {
		f(lo, min(lo+storedBlock, n))
	}
}

// roundParams rounds every weight to format, as loading a checkpoint with a half torch_dtype
// does (once, before the first forward).
func roundParams(params []*Param, format nn.Autocast) {
	lens := make([]int, len(params))
	for i, p := range params {
		lens[i] = len(p.Data)
	}
	forChunks(lens, func(t, lo, hi int) { format.Round(params[t].Data[lo:hi]) })
}

// roundGrads rounds every gradient to format: the .grad of a half parameter is half. The model's
// backward accumulated it in float32 over the micro-batches; torch would have rounded after each
// micro-batch's addition, this rounds the sum once.
func roundGrads(params []*Param, format nn.Autocast) {
	forChunks(gradLens(params), func(t, lo, hi int) { format.Round(params[t].Grad[lo:hi]) })
}

// gradLens returns the number of elements of each gradient.
func gradLens(params []*Param) []int {
	lens := make([]int, len(params))
	for i, p := range params {
		lens[i] = len(p.Grad)
	}
	return lens
}

// mulBy multiplies x by c in float32 in place: tensor.mul_(c).
func mulBy(x []float32, c float32) {
	for i := range x {
		x[i] *= c
	}
}

// allFinite reports whether no value of x is NaN or infinite.
func allFinite(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

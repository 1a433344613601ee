//go:build !purego

package nn

// #cgo CFLAGS: -O3
// #include "conv1d.h"
import "C"

import "github.com/steady-ml/steady/kernel"

// convParallelMin is the smallest conv (rows·channels) split over cores.
const convParallelMin = 1 << 15

// forward runs whole sequences from a zero past in C (conv1d.c); a decode
// state (a step or a continued chunk) goes to the Go twin.
func (cv CausalConv1d) forward(out []float32, ldo int, x []float32, ldx int, batch, seq int, state []float32) {
	if state != nil {
		cv.forwardGo(out, ldo, x, ldx, batch, seq, state)
		return
	}
	wt := cv.transposedWeight()
	defer PutScratch(wt)
	var bias *C.float
	if cv.Bias != nil {
		bias = cFloats(cv.Bias)
	}
	cv.byChannels(batch*seq, func(c0, c1 int) {
		C.steady_conv_forward(cFloats(out), C.long(ldo), cFloats(x), C.long(ldx), cFloats(*wt), bias,
			C.long(batch), C.long(seq), C.long(cv.Channels), C.int(cv.Width), C.long(c0), C.long(c1))
	})
}

// backward runs in C (conv1d.c), with the weight and its gradient
// transposed to (Width, Channels) around the call.
func (cv CausalConv1d) backward(dx []float32, lddx int, dW, dBias, dout []float32, lddo int, x []float32, ldx int, batch, seq int) {
	ch, w := cv.Channels, cv.Width
	wt := cv.transposedWeight()
	defer PutScratch(wt)
	dwt := GetScratch(ch * w)
	defer PutScratch(dwt)
	transpose(*dwt, dW, ch, w)
	var dbias *C.float
	if dBias != nil {
		dbias = cFloats(dBias)
	}
	cv.byChannels(batch*seq, func(c0, c1 int) {
		C.steady_conv_backward(cFloats(dx), C.long(lddx), cFloats(*dwt), dbias, cFloats(dout), C.long(lddo),
			cFloats(x), C.long(ldx), cFloats(*wt), C.long(batch), C.long(seq), C.long(ch), C.int(w), C.long(c0), C.long(c1))
	})
	transpose(dW, *dwt, w, ch)
}

// transposedWeight returns the weight (Channels, Width) transposed to
// (Width, Channels) in pooled scratch.
func (cv CausalConv1d) transposedWeight() *[]float32 {
	wt := GetScratch(cv.Channels * cv.Width)
	transpose(*wt, cv.Weight, cv.Channels, cv.Width)
	return wt
}

// transpose writes the (cols, rows) transpose of the rows×cols matrix src
// into dst.
func transpose(dst, src []float32, rows, cols int) {
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst[c*rows+r] = src[r*cols+c]
		}
	}
}

// byChannels calls f on ranges of channels [c0, c1) (multiples of 16 but the
// last), spread over cores (kernel.ParallelFor) when the conv is large; every
// element's arithmetic is the same however it is split.
func (cv CausalConv1d) byChannels(rows int, f func(c0, c1 int)) {
	if rows*cv.Channels < convParallelMin {
		f(0, cv.Channels)
		return
	}
	kernel.ParallelFor(cv.Channels, 16, f)
}

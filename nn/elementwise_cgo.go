//go:build !purego

package nn

// #cgo CFLAGS: -O3 -fopenmp-simd
// #include "elementwise.h"
import "C"

import "unsafe"

// elementwiseImpl names the implementation the element-wise kernels run.
const elementwiseImpl = "c"

// The element-wise kernels call elementwise.c once per slice; each is the
// same computation as its Go twin (see there for the maths).

func silu(dst, x []float32) {
	if len(x) > 0 {
		C.steady_silu(cFloats(dst), cFloats(x), C.long(len(x)))
	}
}

func siluBackward(dx, dy, x []float32) {
	if len(x) > 0 {
		C.steady_silu_backward(cFloats(dx), cFloats(dy), cFloats(x), C.long(len(x)))
	}
}

func gelu(y, x []float32) {
	if len(x) > 0 {
		C.steady_gelu(cFloats(y), cFloats(x), C.long(len(x)))
	}
}

func geluBackward(dx, dy, x []float32) {
	if len(x) > 0 {
		C.steady_gelu_backward(cFloats(dx), cFloats(dy), cFloats(x), C.long(len(x)))
	}
}

// softmaxRow is softmaxRowGo in C; x is not empty.
func softmaxRow(d, x []float32, gradScale float32) (m float32, s float64) {
	var dp *C.float
	if d != nil {
		dp = cFloats(d)
	}
	r := C.steady_softmax_row(dp, cFloats(x), C.long(len(x)), C.float(gradScale))
	return float32(r.max), float64(r.sum)
}

// cFloats is the C pointer to x's first element; x is not empty.
func cFloats(x []float32) *C.float { return (*C.float)(unsafe.Pointer(&x[0])) }

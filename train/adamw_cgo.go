//go:build !purego

package train

// #cgo CFLAGS: -O3
// #cgo LDFLAGS: -lm
// #include "adamw.h"
import "C"

import "unsafe"

// adamwImpl names the implementation update runs.
const adamwImpl = "c"

// update is updateGo in C (adamw.c), vectorised and bit-identical (see there and updateGo for the
// maths): one cgo call per slice, no allocation. p, g, m and v must not overlap.
func (s adamScalars) update(p, g, m, v []float32) {
	if len(g) == 0 {
		return
	}
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	C.steady_adamw_update(cFloats(p), cFloats(g), cFloats(m), cFloats(v), C.long(len(g)), C.steady_adamw_scalars{
		decay:      C.float(s.decay),
		beta1:      C.float(s.beta1),
		one_minus1: C.float(s.oneMinus1),
		beta2:      C.float(s.beta2),
		one_minus2: C.float(s.oneMinus2),
		bc2_sqrt:   C.float(s.bc2Sqrt),
		eps:        C.float(s.eps),
		neg_step:   C.float(s.negStep),
	})
}

// cFloats is the C pointer to x's first element; x is not empty.
func cFloats(x []float32) *C.float { return (*C.float)(unsafe.Pointer(&x[0])) }

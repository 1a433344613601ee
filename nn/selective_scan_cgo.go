//go:build !purego

package nn

// #cgo CFLAGS: -O3 -fopenmp-simd
// #cgo LDFLAGS: -lm
// #include "selective_scan.h"
import "C"

import "unsafe"

// scanImpl names the implementation scanItems runs.
const scanImpl = "c"

// scanItems scans items [it0, it1) (see Forward) with one call of the C
// kernel in selective_scan.c, or in Go when DState exceeds the C kernel's
// stack buffers.
func (s *SelectiveScan) scanItems(a *ScanArgs, it0, it1 int) {
	if s.DState > C.STEADY_SCAN_MAX_STATE {
		s.scanItemsGo(a, it0, it1)
		return
	}
	f := func(x []float32) *C.float {
		if x == nil {
			return nil
		}
		return (*C.float)(unsafe.Pointer(&x[0]))
	}
	var softplus C.int
	if s.DeltaSoftplus {
		softplus = 1
	}
	C.steady_scan_range(f(s.A), f(s.D), f(s.DeltaBias), f(a.U), f(a.Delta), f(a.B), f(a.C), f(a.Z), f(a.Out), f(a.State),
		C.long(a.LdU), C.long(a.LdDelta), C.long(a.LdB), C.long(a.LdC), C.long(a.LdZ), C.long(a.LdOut),
		C.long(a.Seq), C.int(s.DState), C.int(s.DInner), softplus, C.long(it0), C.long(it1))
}

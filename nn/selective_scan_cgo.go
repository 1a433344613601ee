//go:build !purego

package nn

// #cgo CFLAGS: -O3 -fopenmp-simd
// #cgo LDFLAGS: -lm
// #include "selective_scan.h"
import "C"

import "unsafe"

// scanImpl names the implementation scanChannels runs.
const scanImpl = "c"

// scanChannels scans channels [d0, d0+scanBlock) of sequence b through time
// with the C kernel of selective_scan.c (one cgo call per block and sequence,
// not per step), or with scanChannelsGo when DState exceeds the C kernel's
// stack buffers.
func (s *SelectiveScan) scanChannels(a *ScanArgs, b, d0 int) {
	n := s.DState
	if n > C.STEADY_SCAN_MAX_STATE {
		s.scanChannelsGo(a, b, d0)
		return
	}
	nd := min(scanBlock, s.DInner-d0)
	row := b * a.Seq
	f := func(x []float32, off int) *C.float { return (*C.float)(unsafe.Pointer(&x[off])) }
	opt := func(x []float32, off int) *C.float {
		if x == nil {
			return nil
		}
		return f(x, off)
	}
	var softplus C.int
	if s.DeltaSoftplus {
		softplus = 1
	}
	C.steady_scan_channels_args(f(s.A, d0*n), opt(s.D, d0), opt(s.DeltaBias, d0),
		f(a.U, row*a.LdU+d0), f(a.Delta, row*a.LdDelta+d0), f(a.B, row*a.LdB), f(a.C, row*a.LdC), opt(a.Z, row*a.LdZ+d0),
		f(a.Out, row*a.LdOut+d0), opt(a.State, (b*s.DInner+d0)*n),
		C.long(a.LdU), C.long(a.LdDelta), C.long(a.LdB), C.long(a.LdC), C.long(a.LdZ), C.long(a.LdOut), C.long(a.Seq),
		C.int(n), C.int(nd), softplus)
}

//go:build !purego

package nn

// #include "selective_scan_backward.h"
import "C"

import "unsafe"

// backwardChannels runs the backward of channels [d0, d0+nd) of sequence b on
// the block's gathered columns in ws with the C kernel of
// selective_scan_backward.c (one cgo call per block and sequence; its
// scratch is ws, so any DState works).
func (s *SelectiveScan) backwardChannels(a *ScanArgs, g *ScanGrads, b, d0, nd int, ws *scanBackwardScratch, dB, dC []float32) {
	n := s.DState
	row := b * a.Seq
	f := func(x []float32, off int) *C.float { return (*C.float)(unsafe.Pointer(&x[off])) }
	opt := func(x []float32, off int) *C.float {
		if x == nil {
			return nil
		}
		return f(x, off)
	}
	var z, dz *C.float
	if a.Z != nil {
		z, dz = f(ws.z, 0), f(ws.dz, 0)
	}
	var softplus C.int
	if s.DeltaSoftplus {
		softplus = 1
	}
	C.steady_scan_backward_channels_args(f(s.A, d0*n), opt(s.D, d0), opt(s.DeltaBias, d0),
		f(ws.u, 0), f(ws.delta, 0), z, f(ws.dout, 0), f(a.B, row*a.LdB), f(a.C, row*a.LdC),
		f(ws.du, 0), f(ws.ddelta, 0), dz, f(g.DA, d0*n), opt(g.DD, d0), opt(g.DDeltaBias, d0),
		f(dB, 0), f(dC, 0), f(ws.h, 0), f(ws.abar, 0), f(ws.g, 0), f(ws.dt, 0), f(ws.spGrad, 0),
		C.long(a.LdB), C.long(a.LdC), C.long(a.Seq), C.int(n), C.int(nd), softplus)
}

package nn

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// SelectiveScan is Mamba-1's selective state-space scan, S6 (Gu & Dao 2023,
// Algorithm 2 and eq. 2a–2b with the zero-order-hold Ā and Euler B̄ of
// mamba_ssm ops/selective_scan_interface.py selective_scan_ref), for real A,
// input-dependent B, C and Δ. For every sequence b and channel d, over time t:
//
//	Δ_t  = softplus(δ_t + δ_bias)                      (if DeltaSoftplus; else δ_t + δ_bias)
//	h_t  = exp(Δ_t·A) ⊙ h_{t−1} + Δ_t·B_t·u_t         h: (dState), Ā = exp(ΔA), B̄u = ΔBu
//	y_t  = ⟨C_t, h_t⟩ + D·u_t
//	out_t = y_t · SiLU(z_t)                            (if z is given)
//
// Precision: A, D, δ_bias, the state h and all arithmetic are float32 in
// every mode, as in mamba_ssm's kernels (A_log and D are kept in fp32 there).
type SelectiveScan struct {
	A             []float32 // A = −exp(A_log): (DInner, DState)
	D             []float32 // D skip: (DInner), nil for none
	DeltaBias     []float32 // δ_bias (dt_proj.bias): (DInner), nil for none
	DeltaSoftplus bool      // apply softplus to δ + δ_bias
	DInner        int       // channels d
	DState        int       // state size N
}

// ScanArgs are the tensors of one SelectiveScan.Forward call. Every tensor is
// time-major with its own row stride (Ld*), so B, C and z can be column blocks
// of wider projection outputs.
type ScanArgs struct {
	Batch, Seq int
	U          []float32 // u: (Batch, Seq, DInner), row stride LdU
	Delta      []float32 // δ: (Batch, Seq, DInner), row stride LdDelta; Δ before bias and softplus
	B          []float32 // B: (Batch, Seq, DState), row stride LdB
	C          []float32 // C: (Batch, Seq, DState), row stride LdC
	Z          []float32 // z gate: (Batch, Seq, DInner), row stride LdZ; nil for none
	Out        []float32 // out: (Batch, Seq, DInner), row stride LdOut; may alias U or Delta row for row
	// State is h: (Batch, DInner, DState). On entry it is h_{−1} (the decode
	// state), on return the state after the last step. Nil starts from zero
	// and keeps nothing.
	State                              []float32
	LdU, LdDelta, LdB, LdC, LdZ, LdOut int
}

// scanBlock is the number of channels one worker scans together: their
// states (scanBlock·DState floats) stay in L1 while it walks through time.
const scanBlock = 16

// scanMinParallel is the work (Batch·Seq·DInner·DState) below which the scan
// runs on the calling goroutine.
const scanMinParallel = 1 << 17

// Forward runs the scan over the whole sequence in one pass, without
// allocating per step. The work is cut into items, one per (sequence,
// block of scanBlock channels); contiguous ranges of items go to goroutines
// when the work is large enough. A range is one call of the C kernel in
// selective_scan.c (default build) or a loop of scanChannelsGo (purego
// build); the tests hold both to the same float64 twin and fixture.
func (s *SelectiveScan) Forward(a *ScanArgs) {
	s.check(a)
	items := a.Batch * s.blocks()
	workers := min(runtime.GOMAXPROCS(0), items)
	if a.Batch*a.Seq*s.DInner*s.DState < scanMinParallel || workers <= 1 {
		s.scanItems(a, 0, items)
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s.scanItems(a, w*items/workers, (w+1)*items/workers)
		}(w)
	}
	wg.Wait()
}

// blocks is the number of channel blocks per sequence.
func (s *SelectiveScan) blocks() int { return (s.DInner + scanBlock - 1) / scanBlock }

// scanItemsGo runs items [it0, it1) with scanChannelsGo.
func (s *SelectiveScan) scanItemsGo(a *ScanArgs, it0, it1 int) {
	nb := s.blocks()
	for it := it0; it < it1; it++ {
		s.scanChannelsGo(a, it/nb, (it%nb)*scanBlock)
	}
}

// scanChannelsGo scans channels [d0, d0+scanBlock) of sequence b through
// time in Go. It is the purego build's kernel and the twin the C kernel
// (selective_scan.c) is tested against.
func (s *SelectiveScan) scanChannelsGo(a *ScanArgs, b, d0 int) {
	n := s.DState
	nd := min(scanBlock, s.DInner-d0)
	var hBuf [scanBlock * 64]float32 // h: (nd, DState) for DState ≤ 64
	var dABuf [64]float32            // Ā = exp(Δ·A) of one channel: (DState)
	h, dA := hBuf[:], dABuf[:]
	if n > len(dABuf) {
		h, dA = make([]float32, scanBlock*n), make([]float32, n)
	}
	h, dA = h[:nd*n], dA[:n]
	if a.State != nil {
		copy(h, a.State[(b*s.DInner+d0)*n:(b*s.DInner+d0+nd)*n])
	}
	row0 := b * a.Seq
	for t := 0; t < a.Seq; t++ {
		r := row0 + t
		u := a.U[r*a.LdU+d0 : r*a.LdU+d0+nd]
		delta := a.Delta[r*a.LdDelta+d0 : r*a.LdDelta+d0+nd]
		bt := a.B[r*a.LdB : r*a.LdB+n]
		ct := a.C[r*a.LdC : r*a.LdC+n]
		out := a.Out[r*a.LdOut+d0 : r*a.LdOut+d0+nd]
		var z []float32
		if a.Z != nil {
			z = a.Z[r*a.LdZ+d0 : r*a.LdZ+d0+nd]
		}
		for i := 0; i < nd; i++ {
			d := d0 + i
			dt := delta[i]
			if s.DeltaBias != nil {
				dt += s.DeltaBias[d]
			}
			if s.DeltaSoftplus {
				dt = SoftplusScalar(dt)
			}
			ui := u[i]
			du := dt * ui
			hd := h[i*n : (i+1)*n]
			ad := s.A[d*n : d*n+len(hd)]
			bt, ct, dA := bt[:len(hd)], ct[:len(hd)], dA[:len(hd)]
			expScaled(dA, ad, dt)
			var y float32
			// h ← Ā⊙h + Δ·u·B ; y = ⟨C, h⟩
			for k := range hd {
				hk := dA[k]*hd[k] + du*bt[k]
				hd[k] = hk
				y += hk * ct[k]
			}
			if s.D != nil {
				y += s.D[d] * ui
			}
			if z != nil {
				y *= SiLUScalar(z[i])
			}
			out[i] = y
		}
	}
	if a.State != nil {
		copy(a.State[(b*s.DInner+d0)*n:(b*s.DInner+d0+nd)*n], h)
	}
}

// check panics when the arguments do not fit the scan's sizes.
func (s *SelectiveScan) check(a *ScanArgs) {
	rows := a.Batch * a.Seq
	fits := func(x []float32, ld, width int) bool {
		return ld >= width && len(x) >= (rows-1)*ld+width
	}
	ok := a.Batch > 0 && a.Seq > 0 && len(s.A) == s.DInner*s.DState &&
		(s.D == nil || len(s.D) == s.DInner) && (s.DeltaBias == nil || len(s.DeltaBias) == s.DInner) &&
		fits(a.U, a.LdU, s.DInner) && fits(a.Delta, a.LdDelta, s.DInner) &&
		fits(a.B, a.LdB, s.DState) && fits(a.C, a.LdC, s.DState) && fits(a.Out, a.LdOut, s.DInner) &&
		(a.Z == nil || fits(a.Z, a.LdZ, s.DInner)) &&
		(a.State == nil || len(a.State) >= a.Batch*s.DInner*s.DState)
	if !ok {
		panic(fmt.Sprintf("nn.SelectiveScan.Forward: arguments do not fit batch %d seq %d dInner %d dState %d", a.Batch, a.Seq, s.DInner, s.DState))
	}
}

// expScaled writes dst[k] = e^{s·a[k]}, the scan's inner-loop exp: Exp32's
// polynomial without branches. s·a[k] is clamped to [−87.3, 88]: below, the
// result is the smallest normal float32 (~1.2e−38) instead of an underflow
// towards 0, which leaves h unchanged to float32 precision; above, it
// saturates at e^88.
func expScaled(dst, a []float32, s float32) {
	const (
		log2e = 1.44269504088896341
		ln2Hi = 0.693359375
		ln2Lo = -2.12194440e-4
		magic = 12582912 // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
	)
	a = a[:len(dst)]
	for i := range dst {
		x := min(max(s*a[i], -87.3), 88)
		t := x*log2e + magic
		k := t - magic
		r := x - k*ln2Hi - k*ln2Lo
		p := ((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r + 5.0000001201e-1
		dst[i] = (p*r*r + r + 1) * math.Float32frombits((math.Float32bits(t)-math.Float32bits(magic)+127)<<23)
	}
}

package nn

import "fmt"

// Backward computes the gradients of a Forward call over whole sequences that
// started from a zero past (state nil, as in training). From
// out[b,t,c] = bias[c] + Σ_{j<W} w[c,j]·x[b, t−(W−1)+j, c] (causal_conv1d_bwd):
//
//	dx[b,s,c] = Σ_j w[c,j] · dout[b, s+(W−1)−j, c]   over s+(W−1)−j < seq     written
//	dw[c,j]  += Σ_{b,t} dout[b,t,c] · x[b, t−(W−1)+j, c]   over t−(W−1)+j ≥ 0  accumulated
//	dbias[c] += Σ_{b,t} dout[b,t,c]                                           accumulated; skipped when nil
//
//	dout: (batch, seq, Channels) with row stride lddo ≥ Channels
//	x:    (batch, seq, Channels) with row stride ldx ≥ Channels, the Forward input
//	dx:   (batch, seq, Channels) with row stride lddx ≥ Channels; must not overlap dout
//	dW:   (Channels, Width)   dBias: (Channels)
//
// The strides let x and dx be the conv's column block of in_proj's output and
// of its gradient. Nothing is saved by Forward: x is all the backward needs.
// Backward allocates nothing.
func (cv CausalConv1d) Backward(dx []float32, lddx int, dW, dBias, dout []float32, lddo int, x []float32, ldx int, batch, seq int) {
	ch, w := cv.Channels, cv.Width
	rows := batch * seq
	if batch <= 0 || seq <= 0 || lddx < ch || lddo < ch || ldx < ch ||
		len(dx) < (rows-1)*lddx+ch || len(dout) < (rows-1)*lddo+ch || len(x) < (rows-1)*ldx+ch ||
		len(dW) < ch*w || (dBias != nil && len(dBias) < ch) {
		panic(fmt.Sprintf("nn.CausalConv1d.Backward: bad sizes batch %d seq %d channels %d width %d lddx %d lddo %d ldx %d",
			batch, seq, ch, w, lddx, lddo, ldx))
	}
	cv.backward(dx, lddx, dW, dBias, dout, lddo, x, ldx, batch, seq)
}

// backwardGo is Backward on checked arguments, in Go: the readable twin of
// the C kernel (conv1d.c) that the cgo build runs.
func (cv CausalConv1d) backwardGo(dx []float32, lddx int, dW, dBias, dout []float32, lddo int, x []float32, ldx int, batch, seq int) {
	ch, w := cv.Channels, cv.Width
	for b := 0; b < batch; b++ {
		xb, dxb, gb := x[b*seq*ldx:], dx[b*seq*lddx:], dout[b*seq*lddo:]
		for s := 0; s < seq; s++ {
			// dx_s = Σ_j w[:,j] ⊙ dout_{s+W−1−j}: the taps of the outputs that read x_s.
			dxr := dxb[s*lddx : s*lddx+ch]
			clear(dxr)
			for j := max(0, s+w-seq); j < w; j++ {
				g := gb[(s+w-1-j)*lddo : (s+w-1-j)*lddo+ch]
				for c := range dxr {
					dxr[c] += cv.Weight[c*w+j] * g[c]
				}
			}
		}
		for t := 0; t < seq; t++ {
			g := gb[t*lddo : t*lddo+ch]
			// dw[:,j] += dout_t ⊙ x_{t−(W−1)+j}
			for j := max(0, w-1-t); j < w; j++ {
				xs := xb[(t-(w-1)+j)*ldx : (t-(w-1)+j)*ldx+ch]
				for c, gc := range g {
					dW[c*w+j] += gc * xs[c]
				}
			}
			if dBias != nil {
				for c, gc := range g {
					dBias[c] += gc
				}
			}
		}
	}
}

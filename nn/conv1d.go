package nn

import "fmt"

// CausalConv1d is a depthwise causal 1-D convolution over time
// (torch.nn.Conv1d with groups = channels, padding = width−1, output cut to
// the input length, as in mamba_ssm's Mamba/Mamba2 slow path and
// causal_conv1d_ref):
//
//	out[b,t,c] = bias[c] + Σ_{j<W} w[c,j] · x[b, t−(W−1)+j, c]
//
// where x at negative times comes from the decode state (zeros without one).
//
// Precision: weight, bias, inputs, state and accumulation are float32.
type CausalConv1d struct {
	Weight   []float32 // w: (Channels, Width), the checkpoint's (Channels, 1, Width) with the middle axis dropped
	Bias     []float32 // bias: (Channels), nil without conv bias
	Channels int       // C
	Width    int       // W, the kernel width (d_conv)
}

// NewCausalConv1d checks the shapes of weight (channels·width values) and the
// optional bias (channels).
func NewCausalConv1d(weight, bias []float32, channels, width int) (CausalConv1d, error) {
	if channels <= 0 || width <= 0 {
		return CausalConv1d{}, fmt.Errorf("nn.CausalConv1d: non-positive size channels=%d width=%d", channels, width)
	}
	if len(weight) != channels*width {
		return CausalConv1d{}, fmt.Errorf("nn.CausalConv1d: weight has %d elements, want channels·width = %d·%d", len(weight), channels, width)
	}
	if bias != nil && len(bias) != channels {
		return CausalConv1d{}, fmt.Errorf("nn.CausalConv1d: bias has %d elements, want channels = %d", len(bias), channels)
	}
	return CausalConv1d{Weight: weight, Bias: bias, Channels: channels, Width: width}, nil
}

// Forward convolves seq new inputs of each of batch sequences.
//
//	x:     (batch, seq, Channels) with row stride ldx ≥ Channels
//	out:   (batch, seq, Channels) with row stride ldo ≥ Channels; must not overlap x
//	state: (batch, Channels, Width) or nil
//
// The decode state holds the last Width inputs of each channel, oldest first
// (mamba_ssm's conv_state). Its newest Width−1 entries are the inputs before
// x[b,0]; after the call it holds the last Width inputs of state ++ x, so a
// sequence fed in chunks of any size gives the same outputs and final state as
// one call. With a nil state the past is zero and nothing is kept.
func (cv CausalConv1d) Forward(out []float32, ldo int, x []float32, ldx int, batch, seq int, state []float32) {
	ch, w := cv.Channels, cv.Width
	if batch <= 0 || seq <= 0 || ldx < ch || ldo < ch ||
		len(x) < (batch*seq-1)*ldx+ch || len(out) < (batch*seq-1)*ldo+ch ||
		(state != nil && len(state) < batch*ch*w) {
		panic(fmt.Sprintf("nn.CausalConv1d.Forward: bad sizes batch %d seq %d channels %d ldx %d ldo %d len(x) %d len(out) %d len(state) %d",
			batch, seq, ch, ldx, ldo, len(x), len(out), len(state)))
	}
	cv.forward(out, ldo, x, ldx, batch, seq, state)
}

// forwardGo is Forward on checked arguments, in Go: the readable twin of
// the C kernel (conv1d.c) that the cgo build runs when state is nil.
func (cv CausalConv1d) forwardGo(out []float32, ldo int, x []float32, ldx int, batch, seq int, state []float32) {
	ch, w := cv.Channels, cv.Width
	for b := 0; b < batch; b++ {
		xb := x[b*seq*ldx:]
		ob := out[b*seq*ldo:]
		var sb []float32
		if state != nil {
			sb = state[b*ch*w : (b+1)*ch*w]
		}
		for t := 0; t < seq; t++ {
			orow := ob[t*ldo : t*ldo+ch]
			if t >= w-1 {
				cv.rowFromInput(orow, xb[(t-w+1)*ldx:], ldx)
				continue
			}
			for c := range orow {
				var acc float32
				if cv.Bias != nil {
					acc = cv.Bias[c]
				}
				wc := cv.Weight[c*w : (c+1)*w]
				// tap j reads time s = t−(W−1)+j: from x when s ≥ 0, else from state entry W+s.
				for j, wj := range wc {
					s := t - (w - 1) + j
					switch {
					case s >= 0:
						acc += wj * xb[s*ldx+c]
					case sb != nil:
						acc += wj * sb[c*w+w+s]
					}
				}
				orow[c] = acc
			}
		}
		if sb != nil {
			cv.advanceState(sb, xb, ldx, seq)
		}
	}
}

// rowFromInput writes one output row whose taps all lie in x: x holds the W
// input rows it reads (row stride ldx), oldest first. Same sum order as the
// general path: bias, then taps j = 0..W−1.
func (cv CausalConv1d) rowFromInput(out, x []float32, ldx int) {
	w := cv.Width
	if cv.Bias != nil {
		copy(out, cv.Bias)
	} else {
		clear(out)
	}
	for j := 0; j < w; j++ {
		xr := x[j*ldx : j*ldx+len(out)]
		for c := range out {
			out[c] += cv.Weight[c*w+j] * xr[c]
		}
	}
}

// advanceState shifts seq inputs x (seq, Channels; row stride ldx) into one
// sequence's state (Channels, Width), keeping the last Width, oldest first.
func (cv CausalConv1d) advanceState(state, x []float32, ldx, seq int) {
	ch, w := cv.Channels, cv.Width
	keep := max(w-seq, 0) // old entries that survive
	for c := 0; c < ch; c++ {
		sc := state[c*w : (c+1)*w]
		copy(sc[:keep], sc[w-keep:])
		for i := keep; i < w; i++ {
			sc[i] = x[(seq-(w-i))*ldx+c]
		}
	}
}

//go:build purego

package nn

func (cv CausalConv1d) forward(out []float32, ldo int, x []float32, ldx int, batch, seq int, state []float32) {
	cv.forwardGo(out, ldo, x, ldx, batch, seq, state)
}

func (cv CausalConv1d) backward(dx []float32, lddx int, dW, dBias, dout []float32, lddo int, x []float32, ldx int, batch, seq int) {
	cv.backwardGo(dx, lddx, dW, dBias, dout, lddo, x, ldx, batch, seq)
}

//go:build purego

package nn

// elementwiseImpl names the implementation the element-wise kernels run.
const elementwiseImpl = "go"

func silu(dst, x []float32)            { siluGo(dst, x) }
func siluBackward(dx, dy, x []float32) { siluBackwardGo(dx, dy, x) }
func gelu(y, x []float32)              { geluGo(y, x) }
func geluBackward(dx, dy, x []float32) { geluBackwardGo(dx, dy, x) }
func softmaxRow(d, x []float32, gradScale float32) (float32, float64) {
	return softmaxRowGo(d, x, gradScale)
}

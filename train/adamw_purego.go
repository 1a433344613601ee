//go:build purego

package train

// adamwImpl names the implementation update runs.
const adamwImpl = "go"

// update runs the Go twin.
func (s adamScalars) update(p, g, m, v []float32) { s.updateGo(p, g, m, v) }

package train

import (
	"context"
	"math"
	"math/rand/v2"
)

// linearModel is a differentiable model for the trainer's tests: y = W·x + b with the loss
// ½·mean_batch ‖y − target‖², and its gradients written out by hand.
type linearModel struct {
	w, b  *Param    // w: (out, in), b: (out,)
	calls int       // Step calls so far
	seeds []float32 // the seed of each Step call
	// hook, when set, runs at the start of each Step with the call number (1-based) and may
	// return a loss to report instead (NaN to test the guard) or poison the gradients.
	hook func(call int, m *linearModel) (override float64, ok bool)
}

const linIn, linOut = 3, 2

// example is one (x, target) pair; a micro-batch is a slice of them.
type example struct {
	x      [linIn]float32
	target [linOut]float32
}

func newLinearModel(seed uint64) *linearModel {
	r := rand.New(rand.NewPCG(seed, 1))
	m := &linearModel{
		w: &Param{Name: "linear.weight", Shape: []int{linOut, linIn}, Data: make([]float32, linOut*linIn), Grad: make([]float32, linOut*linIn)},
		b: &Param{Name: "linear.bias", Shape: []int{linOut}, Data: make([]float32, linOut), Grad: make([]float32, linOut)},
	}
	for i := range m.w.Data {
		m.w.Data[i] = float32(r.NormFloat64())
	}
	return m
}

func (m *linearModel) Params() []*Param { return []*Param{m.w, m.b} }

func (m *linearModel) Step(batch []example, seed float32) (StepStats, error) {
	m.calls++
	m.seeds = append(m.seeds, seed)
	var loss float64
	for _, ex := range batch {
		for o := range linOut {
			y := m.b.Data[o]
			for i := range linIn {
				y += m.w.Data[o*linIn+i] * ex.x[i]
			}
			// dL/dy = (y − target)/batch, scaled by the seed
			d := y - ex.target[o]
			loss += 0.5 * float64(d) * float64(d) / float64(len(batch))
			dy := seed * d / float32(len(batch))
			m.b.Grad[o] += dy
			for i := range linIn {
				m.w.Grad[o*linIn+i] += dy * ex.x[i]
			}
		}
	}
	if m.hook != nil {
		if v, ok := m.hook(m.calls, m); ok {
			loss = v
		}
	}
	return StepStats{Loss: loss, Tokens: len(batch)}, nil
}

// linearData holds n examples of a fixed linear map plus noise, served in micro-batches of
// size per epoch-shuffled order.
type linearData struct {
	examples []example
	size     int
	seed     uint64
}

func newLinearData(n, size int, seed uint64) *linearData {
	r := rand.New(rand.NewPCG(seed, 2))
	truth := [linOut][linIn]float32{{1, -2, 0.5}, {0.25, 3, -1}}
	d := &linearData{size: size, seed: seed}
	for range n {
		var ex example
		for i := range linIn {
			ex.x[i] = float32(r.NormFloat64())
		}
		for o := range linOut {
			ex.target[o] = float32(0.1 * r.NormFloat64())
			for i := range linIn {
				ex.target[o] += truth[o][i] * ex.x[i]
			}
		}
		d.examples = append(d.examples, ex)
	}
	return d
}

func (d *linearData) Len() int { return len(d.examples) / d.size }

func (d *linearData) Batch(epoch, i int) ([]example, error) {
	perm := Permutation(d.seed, epoch, len(d.examples))
	var b []example
	for _, j := range perm[i*d.size : (i+1)*d.size] {
		b = append(b, d.examples[j])
	}
	return b, nil
}

// cancelAfter returns a hook that cancels the run's context at Step call n.
func cancelAfter(n int, cancel context.CancelFunc) func(int, *linearModel) (float64, bool) {
	return func(call int, _ *linearModel) (float64, bool) {
		if call == n {
			cancel()
		}
		return 0, false
	}
}

var nan = math.NaN()

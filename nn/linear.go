package nn

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

// Linear is a fully connected layer, y = x·Wᵀ + b (torch.nn.Linear).
//
// Weight is stored in PyTorch layout (Out, In) row-major, so a checkpoint
// tensor is used as is. Precision: Weight and Bias are float32 master values;
// the GEMM accumulates in float32.
type Linear struct {
	Weight []float32 // W: (Out, In)
	Bias   []float32 // b: (Out), nil for a layer without bias
	In     int       // input features
	Out    int       // output features
	LoRA   *LoRA     // adapter adding s·(x·Aᵀ)·Bᵀ to y (lora.go); nil for none
}

// NewLinear checks the shapes of weight (out, in) and the optional bias (out)
// and returns the layer. It keeps the slices, it does not copy them.
func NewLinear(weight, bias []float32, in, out int) (Linear, error) {
	if in <= 0 || out <= 0 {
		return Linear{}, fmt.Errorf("nn.Linear: non-positive size in=%d out=%d", in, out)
	}
	if len(weight) != out*in {
		return Linear{}, fmt.Errorf("nn.Linear: weight has %d elements, want out·in = %d·%d = %d", len(weight), out, in, out*in)
	}
	if bias != nil && len(bias) != out {
		return Linear{}, fmt.Errorf("nn.Linear: bias has %d elements, want out = %d", len(bias), out)
	}
	return Linear{Weight: weight, Bias: bias, In: in, Out: out}, nil
}

// Forward computes y = x·Wᵀ + b for rows independent inputs.
//
//	x: (rows, In)   y: (rows, Out)
//
// y is overwritten; it must not alias x. The bias is broadcast into y first
// and the product is accumulated onto it by one Sgemm (beta = 1), so the call
// allocates nothing.
func (l Linear) Forward(y, x []float32, rows int) {
	if len(x) < rows*l.In || len(y) < rows*l.Out {
		panic(fmt.Sprintf("nn.Linear.Forward: x has %d, y has %d elements; want %d·%d and %d·%d", len(x), len(y), rows, l.In, rows, l.Out))
	}
	var beta float32
	if l.Bias != nil {
		for r := 0; r < rows; r++ {
			copy(y[r*l.Out:(r+1)*l.Out], l.Bias)
		}
		beta = 1
	}
	// y (rows, Out) = x (rows, In) · Wᵀ (In, Out) + beta·y
	kernel.Sgemm(false, true, rows, l.Out, l.In, 1, x, l.In, l.Weight, l.In, beta, y, l.Out)
	if l.LoRA != nil {
		l.LoRA.Forward(y, x, rows) // y += s·(x·Aᵀ)·Bᵀ
	}
}

// Backward computes the gradients of y = x·Wᵀ + b for rows inputs.
//
//	dy: (rows, Out)   x: (rows, In) the Forward input
//	dx: (rows, In)    written: dx = dy·W (+ s·(dy·B)·A with a LoRA); skipped when nil
//	dW: (Out, In)     accumulated: dW += dyᵀ·x
//	db: (Out)         accumulated: db += Σ_rows dy; skipped when nil
//
// dx must not alias dy or x. Backward allocates nothing.
func (l Linear) Backward(dx, dW, db, dy, x []float32, rows int) {
	if len(dy) < rows*l.Out || len(x) < rows*l.In || len(dW) < l.Out*l.In || (dx != nil && len(dx) < rows*l.In) || (db != nil && len(db) < l.Out) {
		panic(fmt.Sprintf("nn.Linear.Backward: slices too short for rows %d, in %d, out %d", rows, l.In, l.Out))
	}
	if dx != nil {
		// dx (rows, In) = dy (rows, Out) · W (Out, In)
		kernel.Sgemm(false, false, rows, l.In, l.Out, 1, dy, l.Out, l.Weight, l.In, 0, dx, l.In)
		if l.LoRA != nil {
			l.LoRA.Backward(dx, nil, nil, dy, x, rows) // dx += s·(dy·B)·A; the adapter's own grads are LoRA.Backward's
		}
	}
	// dW (Out, In) += dyᵀ (Out, rows) · x (rows, In)
	kernel.Sgemm(true, false, l.Out, l.In, rows, 1, dy, l.Out, x, l.In, 1, dW, l.In)
	if db != nil {
		for r := 0; r < rows; r++ {
			for o, g := range dy[r*l.Out : (r+1)*l.Out] {
				db[o] += g
			}
		}
	}
}

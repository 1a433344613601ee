package nn

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

// Linear is a fully connected layer, y = x·Wᵀ + b (torch.nn.Linear).
//
// Weight is stored in PyTorch layout (Out, In) row-major, so a checkpoint
// tensor is used as is. Precision: Weight and Bias are float32 master values;
// the GEMM accumulates in float32. Under Cast (autocast.go) x, W and b are
// rounded to the half format and y is rounded once, as torch's autocast
// addmm; the backward's products are rounded the same way.
type Linear struct {
	Weight []float32 // W: (Out, In)
	Bias   []float32 // b: (Out), nil for a layer without bias
	In     int       // input features
	Out    int       // output features
	LoRA   *LoRA     // adapter adding s·(x·Aᵀ)·Bᵀ to y (lora.go); nil for none
	Cast   Autocast  // the autocast format of the products; AutocastOff for float32
	// packedW is Weight rounded to bf16 once for a run of products that
	// would each round it again (LMHeadLoss's chunks); nil otherwise.
	packedW []uint16
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
// and the product is accumulated onto it by one GEMM (beta = 1), so the
// call allocates nothing in float32. Under autocast y = round(x̃·W̃ᵀ + b̃),
// x̃ = round(x) and so on, rounded once.
func (l Linear) Forward(y, x []float32, rows int) {
	if len(x) < rows*l.In || len(y) < rows*l.Out {
		panic(fmt.Sprintf("nn.Linear.Forward: x has %d, y has %d elements; want %d·%d and %d·%d", len(x), len(y), rows, l.In, rows, l.Out))
	}
	var beta float32
	if l.Bias != nil {
		for r := 0; r < rows; r++ {
			row := y[r*l.Out : (r+1)*l.Out]
			copy(row, l.Bias)
			l.Cast.Round(row)
		}
		beta = 1
	}
	// y (rows, Out) = x (rows, In) · Wᵀ (In, Out) + beta·y
	l.weightGemm(true, rows, l.Out, l.In, x, l.In, beta, y, l.Out)
	if l.LoRA != nil {
		l.LoRA.Forward(y, x, rows, l.Cast) // y += s·(dropout(x)·Aᵀ)·Bᵀ
	}
}

// Backward computes the gradients of y = x·Wᵀ + b for rows inputs.
//
//	dy: (rows, Out)   x: (rows, In) the Forward input
//	dx: (rows, In)    written: dx = dy·W (+ s·(dy·B)·A with a LoRA); skipped when nil
//	dW: (Out, In)     accumulated: dW += dyᵀ·x; skipped when nil (a frozen weight)
//	db: (Out)         accumulated: db += Σ_rows dy; skipped when nil
//
// A LoRA in training (LoRA.Train) accumulates its own gradients into its
// GradA and GradB. Under autocast every product is computed from rounded
// operands and rounded once, and a parameter gradient is rounded before it
// accumulates into the float32 master gradient (the backward of torch's
// cast of the weight). dx must not alias dy or x. In float32 Backward
// allocates nothing.
func (l Linear) Backward(dx, dW, db, dy, x []float32, rows int) {
	if len(dy) < rows*l.Out || len(x) < rows*l.In || (dW != nil && len(dW) < l.Out*l.In) || (dx != nil && len(dx) < rows*l.In) || (db != nil && len(db) < l.Out) {
		panic(fmt.Sprintf("nn.Linear.Backward: slices too short for rows %d, in %d, out %d", rows, l.In, l.Out))
	}
	if dx != nil {
		// dx (rows, In) = dy (rows, Out) · W (Out, In)
		l.weightGemm(false, rows, l.In, l.Out, dy, l.Out, 0, dx, l.In)
	}
	if dW != nil {
		// dW (Out, In) += dyᵀ (Out, rows) · x (rows, In)
		accumulateGemm(l.Cast, true, false, l.Out, l.In, rows, 1, dy, l.Out, x, l.In, dW, l.In)
	}
	if db != nil {
		// db += Σ_rows dy
		sumRows(l.Cast, db, dy, rows, l.Out)
	}
	if l.LoRA != nil {
		var gA, gB []float32
		if l.LoRA.Train {
			gA, gB = l.LoRA.GradA, l.LoRA.GradB
		}
		l.LoRA.Backward(dx, gA, gB, dy, x, rows, l.Cast) // dx += s·(dy·B)·A; dA, dB while training
	}
}

// weightGemm is the product C = A·op(W) + beta·C of Forward (W transposed)
// and Backward, Cast.Gemm with the weight as B, taken from packedW when set.
func (l Linear) weightGemm(transW bool, m, n, k int, A []float32, lda int, beta float32, C []float32, ldc int) {
	if l.packedW != nil {
		gemmBF16PackedB(false, transW, m, n, k, 1, A, lda, l.packedW, l.In, beta, C, ldc)
		return
	}
	l.Cast.Gemm(false, transW, m, n, k, 1, A, lda, l.Weight, l.In, beta, C, ldc)
}

// withPackedWeight returns a copy of l (Cast bf16) whose products take its
// weight from buf, filled here with the weight rounded to bf16.
func (l Linear) withPackedWeight(buf []uint16) Linear {
	packBF16(buf, l.Weight, l.Out, l.In, l.In)
	l.packedW = buf
	return l
}

// accumulateGemm adds a parameter gradient computed by an autocast product:
// C += op(A)·op(B)·alpha in float32, or C += round(alpha·op(Ã)·op(B̃)) under
// autocast (the half gradient of the cast weight, accumulated exactly into
// the float32 master gradient).
func accumulateGemm(cast Autocast, transA, transB bool, m, n, k int, alpha float32, A []float32, lda int, B []float32, ldb int, C []float32, ldc int) {
	if cast == AutocastOff {
		kernel.Sgemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, 1, C, ldc)
		return
	}
	t := GetScratch(m * n)
	cast.Gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, 0, *t, n)
	for i := 0; i < m; i++ {
		row := C[i*ldc : i*ldc+n]
		for j, v := range (*t)[i*n : (i+1)*n] {
			row[j] += v
		}
	}
	PutScratch(t)
}

// sumRows adds the column sums of dy (rows, cols) into db: in float32, or
// under autocast round(Σ_rows round(dy)) (the bias gradient of addmm with
// a half bias).
func sumRows(cast Autocast, db, dy []float32, rows, cols int) {
	if cast == AutocastOff {
		for r := 0; r < rows; r++ {
			for o, g := range dy[r*cols : (r+1)*cols] {
				db[o] += g
			}
		}
		return
	}
	s := GetScratch(2 * cols)
	sum, row := (*s)[:cols], (*s)[cols:]
	clear(sum)
	for r := 0; r < rows; r++ {
		copy(row, dy[r*cols:(r+1)*cols])
		cast.Round(row)
		for o, g := range row {
			sum[o] += g
		}
	}
	cast.Round(sum)
	for o, v := range sum {
		db[o] += v
	}
	PutScratch(s)
}

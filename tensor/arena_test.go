package tensor

import (
	"slices"
	"testing"
)

// step asks a for the buffers of a small model's training step, shaped by
// (batch, seqLen), writes into each and returns them in ts, which has room
// for 6.
func step(a *Arena, batch, seqLen int, ts []*Tensor) []*Tensor {
	const dModel, vocab = 16, 50
	ts = append(ts[:0],
		a.F32(batch, seqLen, dModel),   // residual stream
		a.New(BF16, batch, seqLen, 64), // half matmul output
		a.F32(batch, seqLen, vocab),    // logits
		a.New(I64, batch, seqLen),      // targets
		a.New(F16, dModel),             // a rounded weight row
		a.F32(),                        // loss
	)
	for _, t := range ts {
		switch t.DType() {
		case F32:
			t.F32s()[0] = 1
		case BF16:
			t.BF16s()[0] = 1
		case F16:
			t.F16s()[0] = 1
		case I64:
			t.I64s()[0] = 1
		}
	}
	return ts
}

func TestArenaReusesStorageAfterReset(t *testing.T) {
	var a Arena
	first := step(&a, 2, 8, nil)
	bytes := a.Bytes()
	if a.Len() != len(first) {
		t.Fatalf("Len = %d, want %d", a.Len(), len(first))
	}
	a.Reset()
	if a.Len() != 0 {
		t.Fatalf("Len after Reset = %d, want 0", a.Len())
	}
	second := step(&a, 2, 4, nil) // shorter sequences fit in the same storage
	for i, t2 := range second {
		if t2 != first[i] {
			t.Errorf("tensor %d: Reset did not reuse the Tensor", i)
		}
	}
	if a.Bytes() != bytes {
		t.Errorf("Bytes after a smaller step = %d, want %d (no growth)", a.Bytes(), bytes)
	}
	if got := second[0].Shape(); !slices.Equal(got, []int{2, 4, 16}) || !second[0].IsContiguous() {
		t.Errorf("reused tensor has shape %v (contiguous %v), want [2 4 16]", got, second[0].IsContiguous())
	}
	a.Reset()
	x := a.F32(2, 4, 16)
	for i, v := range x.F32s() {
		if v != 0 {
			t.Fatalf("reused storage not zeroed: element %d = %g", i, v)
		}
	}
	y := a.F32(3, 16, 64) // slot 1 held BF16: becomes F32, larger
	if y.DType() != F32 || y.Numel() != 3*16*64 || a.Bytes() <= bytes {
		t.Errorf("slot changing dtype and growing: %v, Bytes %d (was %d)", y, a.Bytes(), bytes)
	}
}

func TestArenaAllocatesNothingAfterWarmUp(t *testing.T) {
	var a Arena
	ts := step(&a, 4, 32, nil) // warm-up at the largest shape
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset()
		ts = step(&a, 4, 32, ts)
		a.Reset()
		ts = step(&a, 2, 17, ts)
	})
	if allocs != 0 {
		t.Errorf("a step from a warm arena allocated %v times, want 0", allocs)
	}
}

func TestArenaPanicsOnBadShape(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Arena.New with a negative dimension did not panic")
		}
	}()
	var a Arena
	a.F32(2, -3)
}

func BenchmarkArenaStep(b *testing.B) {
	var a Arena
	var ts []*Tensor
	for b.Loop() {
		a.Reset()
		ts = step(&a, 4, 256, ts)
	}
}

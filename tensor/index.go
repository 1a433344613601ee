package tensor

import (
	"fmt"

	"github.com/steady-ml/steady/half"
)

// index returns the storage index of the element at idx, panicking if idx
// has the wrong length or is out of range.
func (t *Tensor) index(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: index %v into %v: want %d indices", idx, t, len(t.shape)))
	}
	off := t.offset
	for i, j := range idx {
		if j < 0 || j >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for %v", idx, t))
		}
		off += j * t.strides[i]
	}
	return off
}

// At returns the element of t at idx as a float64: exact for F32, BF16 and
// F16, and for I64 values of magnitude up to 2^53. It is meant for tests and
// debugging, not hot loops. It panics if idx does not address an element.
func (t *Tensor) At(idx ...int) float64 {
	i := t.index(idx)
	switch t.dtype {
	case F32:
		return float64(t.f32[i])
	case BF16:
		return float64(t.bf16[i].F32())
	case F16:
		return float64(t.f16[i].F32())
	default:
		return float64(t.i64[i])
	}
}

// Set stores v at idx. For floating-point tensors v is rounded to float32
// and then, for BF16 and F16, to the tensor's dtype (so a float64 that is
// not a float32 is rounded twice); for I64 it is truncated toward zero. It
// is meant for tests and setup code, not hot loops. It panics if idx does
// not address an element.
func (t *Tensor) Set(v float64, idx ...int) {
	i := t.index(idx)
	switch t.dtype {
	case F32:
		t.f32[i] = float32(v)
	case BF16:
		t.bf16[i] = half.BF16FromF32(float32(v))
	case F16:
		t.f16[i] = half.F16FromF32(float32(v))
	default:
		t.i64[i] = int64(v)
	}
}

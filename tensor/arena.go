package tensor

import (
	"fmt"
	"math"

	"github.com/steady-ml/steady/half"
)

// Arena hands out zeroed, contiguous tensors and keeps their storage across
// Reset. The n-th tensor requested after a Reset reuses the storage (and the
// Tensor value) of the n-th tensor requested before it, growing it only when
// the new request is larger or of another dtype. A training step that asks
// for the same shapes in the same order every time therefore allocates
// nothing once the first step has run: allocate once per (batch, seqLen),
// as llm.c does, without computing the sizes up front.
//
// A tensor from an Arena is valid until the next Reset, after which its
// storage and the Tensor itself are handed out again: do not keep it, or
// views of it, across Reset. Views made with Transpose, Narrow or Reshape
// allocate a new Tensor value; hot loops should work on F32s instead. An
// Arena is not safe for concurrent use. The zero Arena is ready to use.
type Arena struct {
	slots []*Tensor
	used  int
}

// New returns a zeroed, contiguous tensor of the given dtype and shape,
// valid until the next Reset. It panics if dt is invalid or a dimension is
// negative: arena shapes come from the program, not from user data.
func (a *Arena) New(dt DType, shape ...int) *Tensor {
	// Validated here rather than with numel, whose error would make shape
	// escape to the heap and cost an allocation per call.
	n, ok := 1, dt.Valid()
	for _, d := range shape {
		if d < 0 || d != 0 && n > math.MaxInt/d {
			ok = false
			break
		}
		n *= d
	}
	if !ok {
		badArenaRequest(dt, append([]int(nil), shape...))
	}
	if a.used == len(a.slots) {
		a.slots = append(a.slots, &Tensor{})
	}
	t := a.slots[a.used]
	a.used++
	if t.dtype != dt {
		*t = Tensor{dtype: dt, shape: t.shape, strides: t.strides}
	}
	t.shape = append(t.shape[:0], shape...)
	t.strides = rowMajorStrides(t.strides, shape)
	switch dt {
	case F32:
		t.f32 = resize(t.f32, n)
	case BF16:
		t.bf16 = resize(t.bf16, n)
	case F16:
		t.f16 = resize(t.f16, n)
	case I64:
		t.i64 = resize(t.i64, n)
	}
	return t
}

func badArenaRequest(dt DType, shape []int) {
	panic(fmt.Sprintf("tensor.Arena.New(%v, %v): invalid dtype or shape", dt, shape))
}

// resize returns a zeroed slice of length n, reusing s's array when it is
// large enough.
func resize[E float32 | half.BF16 | half.F16 | int64](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// F32 is New(F32, shape...).
func (a *Arena) F32(shape ...int) *Tensor { return a.New(F32, shape...) }

// Reset makes every tensor handed out so far available again. It keeps the
// storage, so it neither frees nor allocates.
func (a *Arena) Reset() { a.used = 0 }

// Len returns the number of tensors handed out since the last Reset.
func (a *Arena) Len() int { return a.used }

// Bytes returns the storage the arena holds, in bytes, counting every slot
// whether or not it has been handed out since the last Reset.
func (a *Arena) Bytes() int {
	b := 0
	for _, t := range a.slots {
		b += 4*cap(t.f32) + 2*cap(t.bf16) + 2*cap(t.f16) + 8*cap(t.i64)
	}
	return b
}

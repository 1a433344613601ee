package tensor

import (
	"fmt"
	"math"

	"github.com/steady-ml/steady/half"
)

// Tensor is a dense tensor or a strided view of one. Exactly one storage
// slice, the one matching dtype, is non-nil (it may be empty). The zero
// Tensor is not usable; make one with New, FromF32 and its siblings, or an
// Arena.
type Tensor struct {
	dtype   DType
	shape   []int // outermost first
	strides []int // in elements, per dimension
	offset  int   // storage index of element (0, …, 0)
	f32     []float32
	bf16    []half.BF16
	f16     []half.F16
	i64     []int64
}

// numel returns the product of shape, or an error if a dimension is negative
// or the product overflows int.
func numel(shape []int) (int, error) {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("dimension %d of shape %v is negative", i, shape)
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has more than MaxInt elements", shape)
		}
		n *= d
	}
	return n, nil
}

// rowMajorStrides writes the row-major strides of shape into dst and
// returns it.
func rowMajorStrides(dst, shape []int) []int {
	dst = append(dst[:0], shape...)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		dst[i] = s
		s *= shape[i]
	}
	return dst
}

// New returns a zeroed, contiguous tensor of the given dtype and shape. A
// tensor with no dimensions is a scalar holding one element.
func New(dt DType, shape ...int) (*Tensor, error) {
	if !dt.Valid() {
		return nil, fmt.Errorf("tensor.New: invalid dtype %v", dt)
	}
	n, err := numel(shape)
	if err != nil {
		return nil, fmt.Errorf("tensor.New(%v): %w", dt, err)
	}
	t := &Tensor{dtype: dt, shape: append([]int(nil), shape...)}
	t.strides = rowMajorStrides(nil, shape)
	switch dt {
	case F32:
		t.f32 = make([]float32, n)
	case BF16:
		t.bf16 = make([]half.BF16, n)
	case F16:
		t.f16 = make([]half.F16, n)
	case I64:
		t.i64 = make([]int64, n)
	}
	return t, nil
}

// wrap makes a contiguous tensor over data of length n without copying it.
func wrap(fn string, dt DType, n int, shape []int) (*Tensor, error) {
	want, err := numel(shape)
	if err != nil {
		return nil, fmt.Errorf("tensor.%s: %w", fn, err)
	}
	if want != n {
		return nil, fmt.Errorf("tensor.%s: shape %v needs %d elements, data has %d", fn, shape, want, n)
	}
	s := append([]int(nil), shape...)
	return &Tensor{dtype: dt, shape: s, strides: rowMajorStrides(nil, s)}, nil
}

// FromF32 returns an F32 tensor of the given shape over data, without
// copying: writes through the tensor change data. len(data) must equal the
// product of shape.
func FromF32(data []float32, shape ...int) (*Tensor, error) {
	t, err := wrap("FromF32", F32, len(data), shape)
	if t != nil {
		t.f32 = data
	}
	return t, err
}

// FromBF16 is FromF32 for bfloat16 data.
func FromBF16(data []half.BF16, shape ...int) (*Tensor, error) {
	t, err := wrap("FromBF16", BF16, len(data), shape)
	if t != nil {
		t.bf16 = data
	}
	return t, err
}

// FromF16 is FromF32 for float16 data.
func FromF16(data []half.F16, shape ...int) (*Tensor, error) {
	t, err := wrap("FromF16", F16, len(data), shape)
	if t != nil {
		t.f16 = data
	}
	return t, err
}

// FromI64 is FromF32 for int64 data.
func FromI64(data []int64, shape ...int) (*Tensor, error) {
	t, err := wrap("FromI64", I64, len(data), shape)
	if t != nil {
		t.i64 = data
	}
	return t, err
}

// Must returns t, or panics if err is not nil. It is for tests, examples and
// shapes fixed in the program, as in Must(New(F32, 2, 3)).
func Must(t *Tensor, err error) *Tensor {
	if err != nil {
		panic(err)
	}
	return t
}

// DType returns the element type of t.
func (t *Tensor) DType() DType { return t.dtype }

// Rank returns the number of dimensions of t.
func (t *Tensor) Rank() int { return len(t.shape) }

// Shape returns a copy of the shape of t, outermost first.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Strides returns a copy of the strides of t, in elements.
func (t *Tensor) Strides() []int { return append([]int(nil), t.strides...) }

// Dim returns the size of dimension i; negative i counts from the end (-1
// is the last dimension). It panics if i is out of range.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis(i)] }

// axis resolves a possibly negative dimension index, panicking if it is out
// of range.
func (t *Tensor) axis(i int) int {
	a, err := t.checkAxis(i)
	if err != nil {
		panic(err)
	}
	return a
}

func (t *Tensor) checkAxis(i int) (int, error) {
	a := i
	if a < 0 {
		a += len(t.shape)
	}
	if a < 0 || a >= len(t.shape) {
		return 0, fmt.Errorf("dimension %d out of range for shape %v", i, t.shape)
	}
	return a, nil
}

// Numel returns the number of elements of t (1 for a scalar).
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// IsContiguous reports whether the elements of t are laid out row-major
// without gaps, so that they form one dense slice of storage. Dimensions of
// size 1 may have any stride.
func (t *Tensor) IsContiguous() bool {
	want := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 0 {
			return true
		}
		if t.shape[i] != 1 && t.strides[i] != want {
			return false
		}
		want *= t.shape[i]
	}
	return true
}

// String describes t by dtype and shape, as in "F32[2 3]"; it does not
// print the elements.
func (t *Tensor) String() string { return fmt.Sprintf("%v%v", t.dtype, t.shape) }

// dense returns the storage range [offset, offset+Numel) of a contiguous
// tensor of dtype dt, panicking otherwise.
func (t *Tensor) dense(fn string, dt DType) (lo, hi int) {
	if t.dtype != dt {
		panic(fmt.Sprintf("tensor.%s on a %v tensor", fn, t))
	}
	if !t.IsContiguous() {
		panic(fmt.Sprintf("tensor.%s on a non-contiguous %v view (strides %v); call Contiguous first", fn, t, t.strides))
	}
	return t.offset, t.offset + t.Numel()
}

// F32s returns the elements of a contiguous F32 tensor as one row-major
// slice that shares storage with t. It panics if t is not F32 or not
// contiguous.
func (t *Tensor) F32s() []float32 {
	lo, hi := t.dense("F32s", F32)
	return t.f32[lo:hi:hi]
}

// BF16s is F32s for BF16 tensors.
func (t *Tensor) BF16s() []half.BF16 {
	lo, hi := t.dense("BF16s", BF16)
	return t.bf16[lo:hi:hi]
}

// F16s is F32s for F16 tensors.
func (t *Tensor) F16s() []half.F16 {
	lo, hi := t.dense("F16s", F16)
	return t.f16[lo:hi:hi]
}

// I64s is F32s for I64 tensors.
func (t *Tensor) I64s() []int64 {
	lo, hi := t.dense("I64s", I64)
	return t.i64[lo:hi:hi]
}

package tensor

import "fmt"

// view returns a tensor sharing t's storage with the given shape, strides
// and offset; shape and strides are owned by the result.
func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	v := *t
	v.shape, v.strides, v.offset = shape, strides, offset
	return &v
}

// Reshape returns t with a new shape holding the same elements in the same
// row-major order. One dimension may be -1: it is inferred from the others.
// The result is a view sharing storage with t when t is contiguous, and a
// contiguous copy otherwise (as torch.reshape).
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s := append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			return nil, fmt.Errorf("tensor.Reshape %v to %v: dimension %d is %d (at most one -1 is allowed)", t, shape, i, d)
		default:
			known *= d
		}
	}
	n := t.Numel()
	if infer >= 0 {
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("tensor.Reshape %v to %v: %d elements do not divide into the given dimensions", t, shape, n)
		}
		s[infer] = n / known
	}
	if m, err := numel(s); err != nil || m != n {
		return nil, fmt.Errorf("tensor.Reshape %v to %v: %d elements, the new shape holds %d", t, shape, n, m)
	}
	c := t.Contiguous()
	return c.view(s, rowMajorStrides(nil, s), c.offset), nil
}

// Transpose returns a view of t with dimensions i and j swapped (a stride
// swap, no copy). Negative dimensions count from the end.
func (t *Tensor) Transpose(i, j int) (*Tensor, error) {
	a, err := t.checkAxis(i)
	if err == nil {
		var b int
		if b, err = t.checkAxis(j); err == nil {
			v := t.view(t.Shape(), t.Strides(), t.offset)
			v.shape[a], v.shape[b] = v.shape[b], v.shape[a]
			v.strides[a], v.strides[b] = v.strides[b], v.strides[a]
			return v, nil
		}
	}
	return nil, fmt.Errorf("tensor.Transpose(%d, %d) of %v: %w", i, j, t, err)
}

// T returns a view of t with its last two dimensions swapped: the matrix
// transpose, batched over any leading dimensions. It panics if t has fewer
// than two dimensions.
func (t *Tensor) T() *Tensor {
	if len(t.shape) < 2 {
		panic(fmt.Sprintf("tensor.T of %v: need at least 2 dimensions", t))
	}
	v, _ := t.Transpose(-2, -1)
	return v
}

// Narrow returns a view of t restricted to indices [start, start+length) of
// dimension dim (negative dim counts from the end), sharing storage.
func (t *Tensor) Narrow(dim, start, length int) (*Tensor, error) {
	a, err := t.checkAxis(dim)
	if err != nil {
		return nil, fmt.Errorf("tensor.Narrow of %v: %w", t, err)
	}
	if start < 0 || length < 0 || start > t.shape[a]-length {
		return nil, fmt.Errorf("tensor.Narrow of %v: range [%d, %d) outside dimension %d of size %d", t, start, start+length, dim, t.shape[a])
	}
	v := t.view(t.Shape(), t.Strides(), t.offset+start*t.strides[a])
	v.shape[a] = length
	return v, nil
}

// Contiguous returns t itself if it is contiguous, and otherwise a new
// contiguous tensor with the same dtype, shape and elements.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a new contiguous tensor with the same dtype, shape and
// elements as t, sharing nothing with it.
func (t *Tensor) Clone() *Tensor {
	c := Must(New(t.dtype, t.shape...))
	if err := Copy(c, t); err != nil {
		panic(err) // same dtype and shape: cannot fail
	}
	return c
}

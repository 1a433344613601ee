package tensor

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/half"
)

// checkConvert reports whether Copy converts from src to dst elements.
func checkConvert(dst, src DType) error {
	switch {
	case dst == src:
		return nil
	case dst == I64:
		return fmt.Errorf("cannot convert %v to I64", src)
	case src == I64 && dst != F32:
		return fmt.Errorf("cannot convert I64 to %v (convert to F32 first, accepting a second rounding)", dst)
	}
	return nil
}

// Copy copies the elements of src into dst, converting them to dst's dtype:
// exact between equal dtypes and to F32 from BF16 and F16, rounded to
// nearest, ties to even, to BF16 and F16 and from I64 to F32. Either tensor
// may be a view. The shapes must be equal; conversions to I64 and from I64 to
// a 16-bit type are refused. dst and src must not overlap in storage unless
// they are the same view. Copy does not allocate.
func Copy(dst, src *Tensor) error {
	if !slices.Equal(dst.shape, src.shape) {
		return fmt.Errorf("tensor.Copy: dst %v and src %v differ in shape", dst, src)
	}
	if err := checkConvert(dst.dtype, src.dtype); err != nil {
		return fmt.Errorf("tensor.Copy %v to %v: %w", src, dst, err)
	}
	n := src.Numel()
	if n == 0 {
		return nil
	}
	if dst.IsContiguous() && src.IsContiguous() {
		convertDense(dst, dst.offset, src, src.offset, n)
		return nil
	}
	copyStrided(dst, src)
	return nil
}

// copyStrided copies a non-empty src into dst (same shape), one plane of
// the last two dimensions at a time, walking the outer dimensions like an
// odometer. One of them is not contiguous, so the rank is at least 2: views
// of rank 0 and 1 are always contiguous.
func copyStrided(dst, src *Tensor) {
	k := len(src.shape)
	var idxBuf [8]int
	idx := idxBuf[:0]
	for range k - 2 {
		idx = append(idx, 0)
	}
	d, s := dst.offset, src.offset
	for {
		copyPlane(dst, d, src, s)
		// Advance the odometer over dimensions k-3 … 0.
		i := k - 3
		for ; i >= 0; i-- {
			idx[i]++
			d += dst.strides[i]
			s += src.strides[i]
			if idx[i] < src.shape[i] {
				break
			}
			d -= idx[i] * dst.strides[i]
			s -= idx[i] * src.strides[i]
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// planeTile is the number of rows copyPlane moves together when a plane is
// transposed: 16 float32s fill a 64-byte cache line, so each source line of
// a transposed float32 matrix is read once instead of once per row.
const planeTile = 16

// copyPlane copies the (rows, cols) matrix of the last two dimensions that
// starts at storage index d of dst and s of src. Rows that are dense in both
// go as whole rows; otherwise (a transpose) it walks tiles of planeTile rows
// column by column, so that the strided side is read or written a cache line
// at a time rather than one line per element.
func copyPlane(dst *Tensor, d int, src *Tensor, s int) {
	k := len(src.shape)
	rows, cols := src.shape[k-2], src.shape[k-1]
	dRow, dCol := dst.strides[k-2], dst.strides[k-1]
	sRow, sCol := src.strides[k-2], src.strides[k-1]
	if dCol == 1 && sCol == 1 {
		for i := range rows {
			convertDense(dst, d+i*dRow, src, s+i*sRow, cols)
		}
		return
	}
	for i0 := 0; i0 < rows; i0 += planeTile {
		n := min(planeTile, rows-i0)
		for j := range cols {
			copyRow(dst, d+i0*dRow+j*dCol, dRow, src, s+i0*sRow+j*sCol, sRow, n)
		}
	}
}

// copyRow copies n elements along one dimension.
func copyRow(dst *Tensor, d, dStride int, src *Tensor, s, sStride, n int) {
	if dStride == 1 && sStride == 1 {
		convertDense(dst, d, src, s, n)
		return
	}
	convertStrided(dst, d, dStride, src, s, sStride, n)
}

// convertDense converts n consecutive elements of src storage from index s
// into dst storage from index d. The dtype pair has passed checkConvert.
func convertDense(dst *Tensor, d int, src *Tensor, s, n int) {
	switch src.dtype {
	case F32:
		from := src.f32[s : s+n]
		switch dst.dtype {
		case F32:
			copy(dst.f32[d:d+n], from)
		case BF16:
			half.BF16FromF32s(dst.bf16[d:d+n], from)
		case F16:
			half.F16FromF32s(dst.f16[d:d+n], from)
		}
	case BF16:
		from := src.bf16[s : s+n]
		switch dst.dtype {
		case F32:
			half.F32sFromBF16(dst.f32[d:d+n], from)
		case BF16:
			copy(dst.bf16[d:d+n], from)
		case F16:
			to := dst.f16[d : d+n]
			for i, h := range from {
				to[i] = half.F16FromF32(h.F32())
			}
		}
	case F16:
		from := src.f16[s : s+n]
		switch dst.dtype {
		case F32:
			half.F32sFromF16(dst.f32[d:d+n], from)
		case BF16:
			to := dst.bf16[d : d+n]
			for i, h := range from {
				to[i] = half.BF16FromF32(h.F32())
			}
		case F16:
			copy(dst.f16[d:d+n], from)
		}
	case I64:
		from := src.i64[s : s+n]
		switch dst.dtype {
		case F32:
			to := dst.f32[d : d+n]
			for i, v := range from {
				to[i] = float32(v)
			}
		case I64:
			copy(dst.i64[d:d+n], from)
		}
	}
}

// convertStrided converts n elements of src storage at s, s+sStride, …
// into dst storage at d, d+dStride, …, with one loop per dtype pair. The
// dtype pair has passed checkConvert.
func convertStrided(dst *Tensor, d, dStride int, src *Tensor, s, sStride, n int) {
	switch {
	case src.dtype == dst.dtype:
		switch src.dtype {
		case F32:
			gather(dst.f32, d, dStride, src.f32, s, sStride, n)
		case BF16:
			gather(dst.bf16, d, dStride, src.bf16, s, sStride, n)
		case F16:
			gather(dst.f16, d, dStride, src.f16, s, sStride, n)
		case I64:
			gather(dst.i64, d, dStride, src.i64, s, sStride, n)
		}
	case src.dtype == F32 && dst.dtype == BF16:
		for j := range n {
			dst.bf16[d+j*dStride] = half.BF16FromF32(src.f32[s+j*sStride])
		}
	case src.dtype == F32 && dst.dtype == F16:
		for j := range n {
			dst.f16[d+j*dStride] = half.F16FromF32(src.f32[s+j*sStride])
		}
	case src.dtype == BF16 && dst.dtype == F32:
		for j := range n {
			dst.f32[d+j*dStride] = src.bf16[s+j*sStride].F32()
		}
	case src.dtype == F16 && dst.dtype == F32:
		for j := range n {
			dst.f32[d+j*dStride] = src.f16[s+j*sStride].F32()
		}
	default: // BF16↔F16, I64→F32: rare, one element at a time
		for j := range n {
			convertDense(dst, d+j*dStride, src, s+j*sStride, 1)
		}
	}
}

// gather copies n elements from[s], from[s+sStride], … to to[d],
// to[d+dStride], ….
func gather[E float32 | half.BF16 | half.F16 | int64](to []E, d, dStride int, from []E, s, sStride, n int) {
	for j := range n {
		to[d+j*dStride] = from[s+j*sStride]
	}
}

// to returns a new contiguous tensor of dtype dt holding t's elements.
func (t *Tensor) to(fn string, dt DType) (*Tensor, error) {
	if err := checkConvert(dt, t.dtype); err != nil {
		return nil, fmt.Errorf("tensor.%s of %v: %w", fn, t, err)
	}
	c := Must(New(dt, t.shape...))
	if err := Copy(c, t); err != nil {
		return nil, err
	}
	return c, nil
}

// ToF32 returns a new contiguous F32 tensor with t's elements: exact from
// F32, BF16 and F16, rounded to nearest from I64. It always copies.
func (t *Tensor) ToF32() (*Tensor, error) { return t.to("ToF32", F32) }

// ToBF16 returns a new contiguous BF16 tensor with t's elements rounded to
// nearest, ties to even. It always copies; it refuses I64.
func (t *Tensor) ToBF16() (*Tensor, error) { return t.to("ToBF16", BF16) }

// ToF16 returns a new contiguous F16 tensor with t's elements rounded to
// nearest, ties to even (±Inf beyond ±65504 by more than half an ulp). It
// always copies; it refuses I64.
func (t *Tensor) ToF16() (*Tensor, error) { return t.to("ToF16", F16) }

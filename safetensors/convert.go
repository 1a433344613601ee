package safetensors

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/steady-ml/steady/half"
)

// littleEndian reports whether the host stores numbers little-endian, as the format does, so
// that F32 data can be viewed in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// F32 returns the named tensor converted to float32, and its shape. It converts F32, F64
// (rounded to nearest), F16, BF16, F8_E4M3, F8_E5M2 and F8_E8M0 (all exact); other dtypes are
// an error. The result is a new slice.
func (f *File) F32(name string) ([]float32, []int, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	t := f.tensors[name]
	switch t.DType {
	case F32, F64, BF16, F16, F8E4M3, F8E5M2, F8E8M0:
	default:
		return nil, nil, tensorErr(f.Path, name, "dtype %s is not a floating-point type; F32 reads F64, F32, F16, BF16 and F8_*", t.DType)
	}
	out := make([]float32, t.Numel())
	switch t.DType {
	case F32:
		if littleEndian && len(out) > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), len(b)), b)
			break
		}
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = half.BF16(binary.LittleEndian.Uint16(b[2*i:])).F32()
		}
	case F16:
		for i := range out {
			out[i] = half.F16(binary.LittleEndian.Uint16(b[2*i:])).F32()
		}
	default: // F8E4M3, F8E5M2, F8E8M0
		table := f8Tables()[t.DType]
		for i := range out {
			out[i] = table[b[i]]
		}
	}
	return out, slices.Clone(t.Shape), nil
}

// F32View returns the named F32 tensor as a slice over the file's data, without copying, when
// that is possible: the dtype is F32, the host is little-endian and the data is 4-byte
// aligned (the writer of this package and the reference writer align it). Otherwise it
// returns false and the caller should use F32. The slice must not be written to and is
// invalid after Close.
func (f *File) F32View(name string) ([]float32, bool) {
	t, ok := f.tensors[name]
	if !ok || t.DType != F32 || !littleEndian || f.closed {
		return nil, false
	}
	b := f.data[t.Offsets[0]:t.Offsets[1]]
	if len(b) == 0 {
		return []float32{}, true
	}
	if uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4), true
}

// I64 returns the named integer tensor widened to int64, and its shape. It reads I64, I32,
// I16, I8, U32, U16, U8 and BOOL (as 0 or 1), and U64 when every value fits in int64. The
// result is a new slice.
func (f *File) I64(name string) ([]int64, []int, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	t := f.tensors[name]
	switch t.DType {
	case I64, U64, I32, U32, I16, U16, I8, U8, Bool:
	default:
		return nil, nil, tensorErr(f.Path, name, "dtype %s is not an integer type; I64 reads I64, I32, I16, I8, U64, U32, U16, U8 and BOOL", t.DType)
	}
	out := make([]int64, t.Numel())
	le := binary.LittleEndian
	switch t.DType {
	case I64:
		for i := range out {
			out[i] = int64(le.Uint64(b[8*i:]))
		}
	case U64:
		for i := range out {
			v := le.Uint64(b[8*i:])
			if v > math.MaxInt64 {
				return nil, nil, tensorErr(f.Path, name, "U64 element %d = %d overflows int64", i, v)
			}
			out[i] = int64(v)
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(le.Uint32(b[4*i:])))
		}
	case U32:
		for i := range out {
			out[i] = int64(le.Uint32(b[4*i:]))
		}
	case I16:
		for i := range out {
			out[i] = int64(int16(le.Uint16(b[2*i:])))
		}
	case U16:
		for i := range out {
			out[i] = int64(le.Uint16(b[2*i:]))
		}
	case I8:
		for i := range out {
			out[i] = int64(int8(b[i]))
		}
	case U8:
		for i := range out {
			out[i] = int64(b[i])
		}
	default: // Bool
		for i := range out {
			out[i] = int64(min(b[i], 1))
		}
	}
	return out, slices.Clone(t.Shape), nil
}

// f8Tables holds the float32 value of each of the 256 codes of every 8-bit float dtype.
var f8Tables = sync.OnceValue(func() map[DType]*[256]float32 {
	e4m3, e5m2, e8m0 := new([256]float32), new([256]float32), new([256]float32)
	for c := range 256 {
		e4m3[c] = f8E4M3(uint8(c))
		e5m2[c] = half.F16(uint16(c) << 8).F32()
		e8m0[c] = f8E8M0(uint8(c))
	}
	return map[DType]*[256]float32{F8E4M3: e4m3, F8E5M2: e5m2, F8E8M0: e8m0}
})

// f8E4M3 decodes float8_e4m3fn: (−1)^s · 2^(e−7) · (1 + m/8), subnormals 2^−6 · m/8, no
// infinities, and S.1111.111 is NaN (OCP 8-bit floating point spec, "E4M3").
// F8_E5M2 needs no decoder of its own: it is the upper byte of an IEEE binary16.
func f8E4M3(c uint8) float32 {
	e, m := int(c>>3&0xf), float64(c&7)
	var v float64
	switch {
	case e == 0xf && m == 7:
		v = math.NaN()
	case e == 0:
		v = math.Ldexp(m, -9)
	default:
		v = math.Ldexp(8+m, e-10)
	}
	if c&0x80 != 0 {
		v = -v
	}
	return float32(v)
}

// f8E8M0 decodes float8_e8m0fnu: 2^(e−127), and 0xFF is NaN (OCP MX spec, "E8M0").
func f8E8M0(c uint8) float32 {
	if c == 0xff {
		return float32(math.NaN())
	}
	return float32(math.Ldexp(1, int(c)-127))
}

package safetensors

// DType names a safetensors element type as written in the header ("F32", "BF16", ...).
type DType string

// Element types of the safetensors format. Every one is a whole number of bytes wide; the
// reference implementation's sub-byte types (F4, F6_E2M3, F6_E3M2) are rejected when read.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U64  DType = "U64"
	U32  DType = "U32"
	U16  DType = "U16"
	U8   DType = "U8"
	Bool DType = "BOOL"
	// F8E4M3 is float8_e4m3fn: 1 sign, 4 exponent (bias 7), 3 mantissa bits, no infinities,
	// NaN = S.1111.111.
	F8E4M3 DType = "F8_E4M3"
	// F8E5M2 is float8_e5m2: 1 sign, 5 exponent (bias 15), 2 mantissa bits, IEEE-style
	// infinities and NaNs.
	F8E5M2 DType = "F8_E5M2"
	// F8E8M0 is float8_e8m0fnu: an unsigned power of two 2^(e-127), 0xFF = NaN (MX scales).
	F8E8M0 DType = "F8_E8M0"
	// C64 is complex64: a float32 real part then a float32 imaginary part.
	C64 DType = "C64"
)

// dtypes lists the known dtypes in the reference crate's enum order, which is increasing
// alignment. The writer lays tensors out in decreasing order of this rank (then by name), as
// the Rust `safetensors` crate's `prepare` does, so that every tensor starts aligned to its
// element size when the header is 8-byte padded.
var dtypes = [...]DType{Bool, U8, I8, F8E5M2, F8E4M3, F8E8M0, I16, U16, F16, BF16, I32, U32, F32, C64, F64, I64, U64}

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64, U64, C64:
		return 8
	case F32, I32, U32:
		return 4
	case F16, BF16, I16, U16:
		return 2
	case I8, U8, Bool, F8E4M3, F8E5M2, F8E8M0:
		return 1
	}
	return 0
}

// Valid reports whether d is a dtype this package reads and writes.
func (d DType) Valid() bool { return d.Size() != 0 }

// rank is d's position in the reference crate's dtype enum (increasing alignment), or -1.
func (d DType) rank() int {
	for i, x := range dtypes {
		if x == d {
			return i
		}
	}
	return -1
}

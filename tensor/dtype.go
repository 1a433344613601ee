package tensor

import "fmt"

// DType is the element type of a Tensor.
type DType uint8

// The element types. Their String names are the safetensors dtype strings.
const (
	F32  DType = iota + 1 // float32
	BF16                  // bfloat16, stored as half.BF16
	F16                   // IEEE 754 binary16, stored as half.F16
	I64                   // int64 (token ids, positions)
)

var dtypeNames = [...]string{F32: "F32", BF16: "BF16", F16: "F16", I64: "I64"}

var dtypeSizes = [...]int{F32: 4, BF16: 2, F16: 2, I64: 8}

// Valid reports whether d is one of the defined element types.
func (d DType) Valid() bool { return d >= F32 && d <= I64 }

// String returns the safetensors name of d ("F32", "BF16", "F16", "I64").
func (d DType) String() string {
	if !d.Valid() {
		return fmt.Sprintf("DType(%d)", uint8(d))
	}
	return dtypeNames[d]
}

// Size returns the size of one element of type d in bytes (0 if d is not
// valid).
func (d DType) Size() int {
	if !d.Valid() {
		return 0
	}
	return dtypeSizes[d]
}

// ParseDType returns the DType named s, a safetensors dtype string.
func ParseDType(s string) (DType, error) {
	for d := F32; d <= I64; d++ {
		if dtypeNames[d] == s {
			return d, nil
		}
	}
	return 0, fmt.Errorf("tensor: unsupported dtype %q (want F32, BF16, F16 or I64)", s)
}

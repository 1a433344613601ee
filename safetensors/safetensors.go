// Package safetensors reads and writes the safetensors checkpoint format:
// an 8-byte little-endian header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets} (plus an optional "__metadata__" string map),
// then the raw little-endian tensor bytes.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"

	"github.com/steady-ml/steady/half"
)

// DType names a safetensors element type as written in the header ("F32", "BF16", ...).
type DType string

// Element types used by Hugging Face checkpoints.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, Bool:
		return 1
	}
	return 0
}

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Offsets are the [begin, end) byte offsets of the data, relative to the end of the header.
	Offsets [2]int64
}

// File is an opened safetensors file.
type File struct {
	Path     string
	Metadata map[string]string
	tensors  map[string]TensorInfo
	data     []byte // the bytes after the header
}

// Open reads the file at path.
func Open(path string) (*File, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(buf) < 8 {
		return nil, fmt.Errorf("safetensors %s: file too short", path)
	}
	n := binary.LittleEndian.Uint64(buf)
	if n > uint64(len(buf)-8) {
		return nil, fmt.Errorf("safetensors %s: header length %d beyond file size %d", path, n, len(buf))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(buf[8:8+n], &raw); err != nil {
		return nil, fmt.Errorf("safetensors %s: header: %v", path, err)
	}
	f := &File{Path: path, tensors: map[string]TensorInfo{}, data: buf[8+n:]}
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &f.Metadata); err != nil {
				return nil, fmt.Errorf("safetensors %s: __metadata__: %v", path, err)
			}
			continue
		}
		var h struct {
			DType   DType    `json:"dtype"`
			Shape   []int    `json:"shape"`
			Offsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &h); err != nil {
			return nil, fmt.Errorf("safetensors %s: tensor %q: %v", path, name, err)
		}
		f.tensors[name] = TensorInfo{Name: name, DType: h.DType, Shape: h.Shape, Offsets: h.Offsets}
	}
	return f, nil
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for n := range f.tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	t, ok := f.tensors[name]
	return t, ok
}

// Bytes returns the raw little-endian bytes of the named tensor.
func (f *File) Bytes(name string) ([]byte, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("safetensors %s: no tensor %q", f.Path, name)
	}
	return f.data[t.Offsets[0]:t.Offsets[1]], nil
}

// F32 returns the named tensor converted to float32 (from F32, F16, BF16 or F64) and its shape.
func (f *File) F32(name string) ([]float32, []int, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	t := f.tensors[name]
	n := len(b) / max(t.DType.Size(), 1)
	out := make([]float32, n)
	switch t.DType {
	case F32:
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
	default:
		return nil, nil, fmt.Errorf("safetensors %s: tensor %q: dtype %s is not a float type", f.Path, name, t.DType)
	}
	return out, t.Shape, nil
}

// I64 returns the named I64 tensor and its shape.
func (f *File) I64(name string) ([]int64, []int, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	t := f.tensors[name]
	if t.DType != I64 {
		return nil, nil, fmt.Errorf("safetensors %s: tensor %q: dtype %s, want I64", f.Path, name, t.DType)
	}
	out := make([]int64, len(b)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out, t.Shape, nil
}

// Close releases the file's memory.
func (f *File) Close() error { f.data = nil; return nil }

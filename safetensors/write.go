package safetensors

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/steady-ml/steady/internal/atomicfile"
)

// Tensor is one tensor to write: its raw little-endian, row-major (C order) bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32Tensor returns an F32 tensor holding a little-endian copy of v.
func F32Tensor(name string, shape []int, v []float32) Tensor {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Tensor{Name: name, DType: F32, Shape: slices.Clone(shape), Data: b}
}

// I64Tensor returns an I64 tensor holding a little-endian copy of v.
func I64Tensor(name string, shape []int, v []int64) Tensor {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(x))
	}
	return Tensor{Name: name, DType: I64, Shape: slices.Clone(shape), Data: b}
}

// Write writes tensors and metadata to path atomically (see internal/atomicfile): readers
// see the old file or the complete new one, never a partial file. The layout is the one
// Encode writes.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	hdr, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		return writeBody(w, hdr, order)
	})
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// Encode writes tensors and metadata to w in the layout of the reference writer (the Rust
// crate's `serialize`, used by Python's `safetensors.torch.save_file`), so the bytes are
// identical to what it writes for the same tensors:
//   - tensors are laid out by decreasing dtype alignment, in the order of the crate's Dtype
//     enum reversed (U64 I64 F64 C64 F32 U32 I32 BF16 F16 U16 I16 F8_E8M0 F8_E4M3 F8_E5M2
//     I8 U8 BOOL), then by name (bytewise), each directly after the previous one;
//   - the header is compact JSON with __metadata__ first (omitted when metadata is nil; its
//     keys sorted, where the crate's order follows its hash map), then each tensor as
//     {"dtype":..,"shape":[..],"data_offsets":[b,e]} in layout order, strings escaped as
//     serde_json escapes them;
//   - the header is padded with spaces to a multiple of 8 bytes, so that data offsets that are
//     multiples of an element's size are aligned in the file too.
//
// Names must be unique, valid UTF-8 and not "__metadata__"; each tensor's Data must hold
// exactly numel(Shape)·size(DType) bytes.
func Encode(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	hdr, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return writeBody(w, hdr, order)
}

// writeBody writes the length-prefixed header and the tensors' data through a buffer.
func writeBody(w io.Writer, hdr []byte, order []Tensor) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var word [8]byte
	binary.LittleEndian.PutUint64(word[:], uint64(len(hdr)))
	bw.Write(word[:])
	bw.Write(hdr)
	for _, t := range order {
		bw.Write(t.Data)
	}
	return bw.Flush()
}

// encodeHeader validates tensors and returns the padded header and the tensors in layout order.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, []Tensor, error) {
	order := slices.Clone(tensors)
	slices.SortFunc(order, func(a, b Tensor) int {
		return cmp.Or(cmp.Compare(b.DType.rank(), a.DType.rank()), cmp.Compare(a.Name, b.Name))
	})
	for i, t := range order {
		if err := checkTensor(t); err != nil {
			return nil, nil, err
		}
		if i > 0 && order[i-1].Name == t.Name {
			return nil, nil, fmt.Errorf("tensor %q: duplicate name", t.Name)
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("metadata %q: key or value is not valid UTF-8", k)
		}
	}
	hdr := []byte{'{'}
	if metadata != nil {
		hdr = appendMetadata(hdr, metadata)
		if len(order) > 0 {
			hdr = append(hdr, ',')
		}
	}
	var offset int64
	for i, t := range order {
		if i > 0 {
			hdr = append(hdr, ',')
		}
		hdr = appendJSONString(hdr, t.Name)
		hdr = append(hdr, `:{"dtype":`...)
		hdr = appendJSONString(hdr, string(t.DType))
		hdr = append(hdr, `,"shape":[`...)
		for j, s := range t.Shape {
			if j > 0 {
				hdr = append(hdr, ',')
			}
			hdr = strconv.AppendInt(hdr, int64(s), 10)
		}
		hdr = append(hdr, `],"data_offsets":[`...)
		hdr = strconv.AppendInt(hdr, offset, 10)
		hdr = append(hdr, ',')
		offset += int64(len(t.Data))
		hdr = strconv.AppendInt(hdr, offset, 10)
		hdr = append(hdr, "]}"...)
	}
	hdr = append(hdr, '}')
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the %d-byte limit", len(hdr), MaxHeaderSize)
	}
	return hdr, order, nil
}

// checkTensor checks one tensor to be written.
func checkTensor(t Tensor) error {
	switch {
	case t.Name == metadataKey:
		return fmt.Errorf("tensor %q: the name is reserved for the metadata", t.Name)
	case !utf8.ValidString(t.Name):
		return fmt.Errorf("tensor %q: name is not valid UTF-8", t.Name)
	case !t.DType.Valid():
		return fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	for _, s := range t.Shape {
		if s < 0 {
			return fmt.Errorf("tensor %q: negative dimension in shape %v", t.Name, t.Shape)
		}
	}
	want, ok := byteSize(t.DType, t.Shape)
	if !ok {
		return fmt.Errorf("tensor %q: shape %v × %s overflows", t.Name, t.Shape, t.DType)
	}
	if int64(len(t.Data)) != want {
		return fmt.Errorf("tensor %q: %d bytes of data, but shape %v × %s needs %d", t.Name, len(t.Data), t.Shape, t.DType, want)
	}
	return nil
}

// appendMetadata appends "__metadata__":{...} with the keys sorted.
func appendMetadata(hdr []byte, metadata map[string]string) []byte {
	hdr = append(hdr, `"__metadata__":{`...)
	keys := make([]string, 0, len(metadata))
	for k := range metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			hdr = append(hdr, ',')
		}
		hdr = appendJSONString(hdr, k)
		hdr = append(hdr, ':')
		hdr = appendJSONString(hdr, metadata[k])
	}
	return append(hdr, '}')
}

// appendJSONString appends s as a JSON string escaped as serde_json does: '"' and '\\'
// backslashed, \b \t \n \f \r for those controls, \u00xx (lower-case hex) for the other
// bytes below 0x20, and everything else, non-ASCII included, verbatim. s is valid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

package safetensors

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes: 100 MB, as in the reference
// crate (MAX_HEADER_SIZE). It bounds what a hostile file can make the reader allocate.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the file's string→string metadata.
const metadataKey = "__metadata__"

// header is a parsed and validated JSON header.
type header struct {
	metadata map[string]string
	tensors  map[string]TensorInfo
}

// parseHeader parses the JSON header hdr of the file at path and validates it against a data
// section of dataLen bytes. It follows the reference crate's SafeTensors::read_metadata and
// Metadata::validate, and is stricter where that crate is silent:
//   - the header is UTF-8 JSON holding exactly one object (trailing spaces allowed);
//   - duplicate keys, at the top level, in __metadata__ or within an entry, are rejected;
//   - __metadata__ is null or an object of string values;
//   - each entry has dtype (a known dtype), shape (non-negative integers) and data_offsets
//     (two non-negative integers); unknown fields are ignored, as serde does;
//   - numel(shape)·size(dtype) does not overflow and equals end − begin;
//   - sorted by data_offsets, the entries tile [0, dataLen) exactly: no gap, no overlap,
//     nothing past the end and no trailing bytes. Zero-byte tensors may share an offset.
func parseHeader(path string, hdr []byte, dataLen int64) (*header, error) {
	if !utf8.Valid(hdr) {
		return nil, fileErr(path, "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	p := &headerParser{path: path, dec: dec}
	h, err := p.object()
	if err != nil {
		return nil, err
	}
	if err := validateLayout(path, h.tensors, dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

// headerParser walks the header's JSON tokens, so that duplicate keys and wrong types are
// seen, and nothing is decoded into interface values of unbounded depth.
type headerParser struct {
	path string
	dec  *json.Decoder
}

// object parses the top-level object and checks that only whitespace follows it.
func (p *headerParser) object() (*header, error) {
	if err := p.delim('{', "", "header"); err != nil {
		return nil, err
	}
	h := &header{tensors: map[string]TensorInfo{}}
	seenMeta := false
	for p.dec.More() {
		key, err := p.key("", "header")
		if err != nil {
			return nil, err
		}
		if key == metadataKey {
			if seenMeta {
				return nil, fileErr(p.path, "header: duplicate key %q", metadataKey)
			}
			seenMeta = true
			if h.metadata, err = p.metadata(); err != nil {
				return nil, err
			}
			continue
		}
		if _, dup := h.tensors[key]; dup {
			return nil, tensorErr(p.path, key, "duplicate entry in header")
		}
		info, err := p.tensor(key)
		if err != nil {
			return nil, err
		}
		h.tensors[key] = info
	}
	if err := p.delim('}', "", "header"); err != nil {
		return nil, err
	}
	if tok, err := p.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, fileErr(p.path, "header: after the object: %v", err)
		}
		return nil, fileErr(p.path, "header: unexpected %v after the object", tok)
	}
	return h, nil
}

// metadata parses the value of __metadata__: null or an object of strings.
func (p *headerParser) metadata() (map[string]string, error) {
	tok, err := p.token("", metadataKey)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('{') {
		return nil, fileErr(p.path, "%s: want an object of strings, got %s", metadataKey, describe(tok))
	}
	m := map[string]string{}
	for p.dec.More() {
		k, err := p.key("", metadataKey)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, fileErr(p.path, "%s: duplicate key %q", metadataKey, k)
		}
		tok, err := p.token("", metadataKey)
		if err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, fileErr(p.path, "%s: key %q: want a string, got %s", metadataKey, k, describe(tok))
		}
		m[k] = v
	}
	return m, p.delim('}', "", metadataKey)
}

// tensor parses one tensor entry {"dtype": ..., "shape": [...], "data_offsets": [b, e]}.
func (p *headerParser) tensor(name string) (TensorInfo, error) {
	info := TensorInfo{Name: name}
	if err := p.delim('{', name, "entry"); err != nil {
		return info, err
	}
	var haveDType, haveShape, haveOffsets bool
	for p.dec.More() {
		field, err := p.key(name, "entry")
		if err != nil {
			return info, err
		}
		var seen *bool
		switch field {
		case "dtype":
			seen = &haveDType
			info.DType, err = p.dtype(name)
		case "shape":
			seen = &haveShape
			info.Shape, err = p.shape(name)
		case "data_offsets":
			seen = &haveOffsets
			info.Offsets, err = p.offsets(name)
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return info, tensorErr(p.path, name, "field %q: %v", field, err)
			}
			continue
		}
		if err != nil {
			return info, err
		}
		if *seen {
			return info, tensorErr(p.path, name, "duplicate field %q", field)
		}
		*seen = true
	}
	if err := p.delim('}', name, "entry"); err != nil {
		return info, err
	}
	switch {
	case !haveDType:
		return info, tensorErr(p.path, name, "missing field \"dtype\"")
	case !haveShape:
		return info, tensorErr(p.path, name, "missing field \"shape\"")
	case !haveOffsets:
		return info, tensorErr(p.path, name, "missing field \"data_offsets\"")
	}
	return info, nil
}

func (p *headerParser) dtype(name string) (DType, error) {
	tok, err := p.token(name, "dtype")
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", tensorErr(p.path, name, "dtype: want a string, got %s", describe(tok))
	}
	d := DType(s)
	switch {
	case d.Valid():
		return d, nil
	case s == "F4" || s == "F6_E2M3" || s == "F6_E3M2":
		return "", tensorErr(p.path, name, "dtype %s is a sub-byte type, which this reader does not support", s)
	}
	return "", tensorErr(p.path, name, "unknown dtype %q", s)
}

func (p *headerParser) shape(name string) ([]int, error) {
	if err := p.delim('[', name, "shape"); err != nil {
		return nil, err
	}
	shape := []int{}
	for p.dec.More() {
		n, err := p.uint(name, "shape")
		if err != nil {
			return nil, err
		}
		if n > math.MaxInt {
			return nil, tensorErr(p.path, name, "shape: dimension %d overflows int", n)
		}
		shape = append(shape, int(n))
	}
	return shape, p.delim(']', name, "shape")
}

func (p *headerParser) offsets(name string) ([2]int64, error) {
	var off [2]int64
	if err := p.delim('[', name, "data_offsets"); err != nil {
		return off, err
	}
	for i := range off {
		if !p.dec.More() {
			return off, tensorErr(p.path, name, "data_offsets: want 2 integers, got %d", i)
		}
		n, err := p.uint(name, "data_offsets")
		if err != nil {
			return off, err
		}
		if n > math.MaxInt64 {
			return off, tensorErr(p.path, name, "data_offsets: %d overflows int64", n)
		}
		off[i] = int64(n)
	}
	if p.dec.More() {
		return off, tensorErr(p.path, name, "data_offsets: want 2 integers, got more")
	}
	return off, p.delim(']', name, "data_offsets")
}

// uint reads one JSON number that must be a non-negative integer written without fraction or
// exponent, as serde reads a usize.
func (p *headerParser) uint(name, what string) (uint64, error) {
	tok, err := p.token(name, what)
	if err != nil {
		return 0, err
	}
	num, ok := tok.(json.Number)
	if !ok {
		return 0, tensorErr(p.path, name, "%s: want a non-negative integer, got %s", what, describe(tok))
	}
	n, err := strconv.ParseUint(string(num), 10, 64)
	if err != nil {
		return 0, tensorErr(p.path, name, "%s: %s is not a non-negative integer that fits in 64 bits", what, num)
	}
	return n, nil
}

// key reads an object key (the decoder only yields strings in key position).
func (p *headerParser) key(name, what string) (string, error) {
	tok, err := p.token(name, what)
	if err != nil {
		return "", err
	}
	return tok.(string), nil
}

// delim reads the delimiter want.
func (p *headerParser) delim(want json.Delim, name, what string) error {
	tok, err := p.token(name, what)
	if err != nil {
		return err
	}
	if tok != want {
		return p.err(name, "%s: want %q, got %s", what, string(want), describe(tok))
	}
	return nil
}

// token reads the next token, turning a syntax error or early end into an *Error.
func (p *headerParser) token(name, what string) (json.Token, error) {
	tok, err := p.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, p.err(name, "%s: JSON ends early", what)
	}
	if err != nil {
		return nil, p.err(name, "%s: invalid JSON: %v", what, err)
	}
	return tok, nil
}

func (p *headerParser) err(name, format string, args ...any) error {
	if name == "" {
		return fileErr(p.path, format, args...)
	}
	return tensorErr(p.path, name, format, args...)
}

// describe names a JSON token's kind for error messages.
func describe(tok json.Token) string {
	switch t := tok.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + string(t)
	case string:
		return "a string"
	case json.Delim:
		switch t {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return strconv.Quote(string(t))
	}
	return "an unexpected token"
}

// validateLayout checks each tensor's byte size and that, sorted by offsets, the tensors tile
// the data section [0, dataLen) exactly (the reference crate's Metadata::validate followed by
// its MetadataIncompleteBuffer check).
func validateLayout(path string, tensors map[string]TensorInfo, dataLen int64) error {
	sorted := make([]TensorInfo, 0, len(tensors))
	for _, t := range tensors {
		sorted = append(sorted, t)
	}
	slices.SortFunc(sorted, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(a.Offsets[0], b.Offsets[0]), cmp.Compare(a.Offsets[1], b.Offsets[1]),
			cmp.Compare(a.Name, b.Name))
	})
	var end int64
	var prev string
	for _, t := range sorted {
		b, e := t.Offsets[0], t.Offsets[1]
		if b > e {
			return tensorErr(path, t.Name, "data_offsets [%d, %d]: begin > end", b, e)
		}
		if e > dataLen {
			return tensorErr(path, t.Name, "data_offsets [%d, %d] beyond the data section (%d bytes)", b, e, dataLen)
		}
		want, ok := byteSize(t.DType, t.Shape)
		if !ok {
			return tensorErr(path, t.Name, "shape %v × %s overflows", t.Shape, t.DType)
		}
		if e-b != want {
			return tensorErr(path, t.Name, "data_offsets [%d, %d] hold %d bytes, but shape %v × %s needs %d",
				b, e, e-b, t.Shape, t.DType, want)
		}
		switch {
		case b > end:
			return tensorErr(path, t.Name, "bytes [%d, %d) of the data section belong to no tensor (gap before data_offsets [%d, %d])", end, b, b, e)
		case b < end:
			return tensorErr(path, t.Name, "data_offsets [%d, %d] overlap tensor %q", b, e, prev)
		}
		end, prev = e, t.Name
	}
	if end != dataLen {
		return fileErr(path, "tensors cover %d bytes, but the data section holds %d", end, dataLen)
	}
	return nil
}

// byteSize returns numel(shape) · size(dtype), or false if it overflows int64. Like the
// reference crate, an overflowing partial product is an error even when a later dimension is 0.
func byteSize(d DType, shape []int) (int64, bool) {
	n := uint64(d.Size())
	for _, s := range shape {
		hi, lo := bits.Mul64(n, uint64(s))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	return int64(n), true
}

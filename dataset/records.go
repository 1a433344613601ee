package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Error is an error in a data file. Line is 1-based (0 when the error is
// about the whole file) and Field names the JSON field at fault, if any.
type Error struct {
	File  string
	Line  int
	Field string
	Err   error
}

// Error formats as "file:line: field "name": message".
func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Field != "" {
		s += fmt.Sprintf(": field %q", e.Field)
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrEmpty is wrapped by the errors for data files that yield no example.
var ErrEmpty = errors.New("no examples")

// record is one JSON object of a data file and the line it starts on.
type record struct {
	line   int
	fields map[string]json.RawMessage
}

// readRecordsFile reads a JSON array of objects or JSON Lines (one object
// per line, blank lines allowed) from path.
func readRecordsFile(path string) ([]record, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return readRecords(path, data)
}

// readRecords parses data, named name in errors, as a JSON array of objects
// when its first non-space byte is '[', and as JSON Lines otherwise.
func readRecords(name string, data []byte) ([]record, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return readArray(name, data)
	}
	return readLines(name, data)
}

func readLines(name string, data []byte) ([]record, error) {
	var recs []record
	for line := 1; len(data) > 0; line++ {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		fields, err := decodeObject(text)
		if err != nil {
			return nil, &Error{File: name, Line: line, Err: err}
		}
		recs = append(recs, record{line: line, fields: fields})
	}
	return recs, nil
}

func readArray(name string, data []byte) ([]record, error) {
	lines := lineCounter{data: data}
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) error {
		off := dec.InputOffset()
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			off = syn.Offset
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return &Error{File: name, Line: lines.at(off), Err: err}
	}
	if _, err := dec.Token(); err != nil { // '['
		return nil, fail(err)
	}
	var recs []record
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fail(err)
		}
		line := lines.at(dec.InputOffset() - int64(len(raw)))
		fields, err := decodeObject(raw)
		if err != nil {
			return nil, &Error{File: name, Line: line, Err: err}
		}
		recs = append(recs, record{line: line, fields: fields})
	}
	if _, err := dec.Token(); err != nil { // ']'
		return nil, fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{File: name, Line: lines.at(dec.InputOffset()), Err: errors.New("data after the closing ']'")}
	}
	return recs, nil
}

// decodeObject parses one JSON object into its fields.
func decodeObject(text []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return nil, fmt.Errorf("want a JSON object, got %s", typ.Value)
		}
		return nil, err
	}
	if fields == nil {
		return nil, errors.New("want a JSON object, got null")
	}
	return fields, nil
}

// lineCounter maps byte offsets of data, asked in increasing order, to
// 1-based line numbers.
type lineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *lineCounter) at(off int64) int {
	off = min(max(off, 0), int64(len(c.data)))
	if off < c.off {
		c.off, c.line = 0, 0
	}
	c.line += bytes.Count(c.data[c.off:off], []byte("\n"))
	c.off = off
	return c.line + 1
}

// str returns the string field name of r; ok is false when the field is
// absent or null. A field of another type is an error.
func (r record) str(file, name string) (s string, ok bool, err error) {
	raw, present := r.fields[name]
	if !present || string(raw) == "null" {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, &Error{File: file, Line: r.line, Field: name, Err: fmt.Errorf("want a string, got %s", jsonKind(raw))}
	}
	return s, true, nil
}

// required returns the string field name of r, which must be present.
func (r record) required(file, name string) (string, error) {
	s, ok, err := r.str(file, name)
	if err == nil && !ok {
		err = &Error{File: file, Line: r.line, Field: name, Err: errors.New("missing")}
	}
	return s, err
}

// jsonKind names the JSON type of a raw value.
func jsonKind(raw json.RawMessage) string {
	switch b := bytes.TrimSpace(raw); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "an object"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't', b[0] == 'f':
		return "a boolean"
	default:
		return "a number"
	}
}

package safetensors

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rawFile returns a file whose header is hdr (unpadded) followed by data bytes.
func rawFile(hdr string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	b = append(b, hdr...)
	return append(b, make([]byte, data)...)
}

// withLen returns an 8-byte header length n followed by rest.
func withLen(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

// hostileCases are malformed files; each must be rejected with an *Error naming the file, the
// tensor at fault (tensor, empty when the file as a whole is at fault) and saying msg.
var hostileCases = []struct {
	name   string
	file   []byte
	tensor string
	msg    string
}{
	{"empty_file", nil, "", "too short"},
	{"seven_bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "", "too short"},
	{"header_len_beyond_file", withLen(100, "{}"), "", "beyond the end"},
	{"header_len_absurd", withLen(1<<62, "{}"), "", "exceeds the 100000000-byte limit"},
	{"header_len_max_uint64", withLen(^uint64(0), "{}"), "", "exceeds"},
	{"header_len_just_over_cap", withLen(MaxHeaderSize+1, "{}"), "", "exceeds"},
	{"header_not_json", rawFile("hello world", 0), "", "invalid JSON"},
	{"header_invalid_utf8", rawFile("{\"a\xff\":1}", 0), "", "not valid UTF-8"},
	{"header_array", rawFile("[1,2]", 0), "", "want \"{\", got an array"},
	{"header_string", rawFile(`"x"`, 0), "", "got a string"},
	{"header_truncated", rawFile(`{"a":{"dtype":"F32"`, 0), "a", "JSON ends early"},
	{"header_empty", rawFile(``, 0), "", "JSON ends early"},
	{"trailing_object", rawFile(`{}{}`, 0), "", "unexpected"},
	{"trailing_garbage", rawFile(`{} x`, 0), "", "after the object"},
	{"entry_not_object", rawFile(`{"w":[1]}`, 0), "w", "want \"{\", got an array"},
	{"missing_dtype", rawFile(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), "w", `missing field "dtype"`},
	{"missing_shape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "w", `missing field "shape"`},
	{"missing_offsets", rawFile(`{"w":{"dtype":"F32","shape":[1]}}`, 4), "w", `missing field "data_offsets"`},
	{"unknown_dtype", rawFile(`{"w":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}`, 4), "w", `unknown dtype "F33"`},
	{"lowercase_dtype", rawFile(`{"w":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, 4), "w", `unknown dtype "f32"`},
	{"sub_byte_dtype", rawFile(`{"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}`, 1), "w", "sub-byte"},
	{"dtype_number", rawFile(`{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, 4), "w", "dtype: want a string, got the number 4"},
	{"negative_dim", rawFile(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "w", "-1 is not a non-negative integer"},
	{"fractional_dim", rawFile(`{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}`, 4), "w", "1.0 is not"},
	{"exponent_dim", rawFile(`{"w":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, 4), "w", "1e0 is not"},
	{"huge_dim", rawFile(`{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, 4), "w", "fits in 64 bits"},
	{"dim_overflows_int", rawFile(`{"w":{"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,4]}}`, 4), "w", "overflows int"},
	{"shape_product_overflow", rawFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, 4), "w", "overflows"},
	{"shape_bytes_overflow", rawFile(`{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]}}`, 4), "w", "overflows"},
	{"overflow_before_zero_dim", rawFile(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}`, 0), "w", "overflows"},
	{"shape_not_array", rawFile(`{"w":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}`, 4), "w", "shape: want \"[\""},
	{"shape_null", rawFile(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, 4), "w", "got null"},
	{"offsets_one", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, 4), "w", "want 2 integers, got 1"},
	{"offsets_three", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 8), "w", "got more"},
	{"offsets_negative", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 4), "w", "-4 is not"},
	{"offsets_overflow_int64", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}`, 4), "w", "overflows int64"},
	{"begin_after_end", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, 8), "w", "begin > end"},
	{"offsets_beyond_data", rawFile(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), "w", "beyond the data section (8 bytes)"},
	{"size_mismatch", rawFile(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "w", "hold 8 bytes, but shape [3] × F32 needs 12"},
	{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "b", `overlap tensor "a"`},
	{"same_offsets", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "b", `overlap tensor "a"`},
	{"gap_at_start", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "a", "bytes [0, 4) of the data section belong to no tensor"},
	{"gap_between", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), "b", "bytes [4, 8)"},
	{"trailing_data", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 5), "", "tensors cover 4 bytes, but the data section holds 5"},
	{"data_but_no_tensors", rawFile(`{}`, 1), "", "tensors cover 0 bytes"},
	{"duplicate_tensor", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), "a", "duplicate entry"},
	{"duplicate_field", rawFile(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), "a", `duplicate field "dtype"`},
	{"duplicate_metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, 0), "", `duplicate key "__metadata__"`},
	{"metadata_duplicate_key", rawFile(`{"__metadata__":{"k":"a","k":"b"}}`, 0), "", `__metadata__: duplicate key "k"`},
	{"metadata_not_object", rawFile(`{"__metadata__":"pt"}`, 0), "", "__metadata__: want an object of strings, got a string"},
	{"metadata_number_value", rawFile(`{"__metadata__":{"step":3}}`, 0), "", `key "step": want a string, got the number 3`},
	{"metadata_nested", rawFile(`{"__metadata__":{"k":{"a":"b"}}}`, 0), "", `key "k": want a string, got an object`},
	{"deeply_nested_unknown_field", rawFile(`{"a":{"x":`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`}}`, 0), "a", "exceeded max depth"},
	{"unknown_field_bad_json", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":[}}`, 1), "a", `field "x"`},
}

func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".safetensors")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, open := range []struct {
				name string
				fn   func() (*File, error)
			}{
				{"Open", func() (*File, error) { return Open(path) }},
				{"ReadFile", func() (*File, error) { return ReadFile(path) }},
				{"open without mmap", func() (*File, error) { return open(path, false) }},
				{"Parse", func() (*File, error) { return Parse(path, tc.file) }},
			} {
				f, err := open.fn()
				if err == nil {
					f.Close()
					t.Fatalf("%s accepted a hostile file", open.name)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: error %v (%T) is not an *Error", open.name, err, err)
				}
				if e.Path != path || e.Tensor != tc.tensor || !strings.Contains(e.Msg, tc.msg) {
					t.Errorf("%s: got %q\nwant path %s, tensor %q, message containing %q", open.name, err, path, tc.tensor, tc.msg)
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("%s: error %q does not name the file", open.name, err)
				}
			}
		})
	}
}

// TestAcceptedEdgeCases are files the reference crate accepts, and so must we.
func TestAcceptedEdgeCases(t *testing.T) {
	cases := []struct {
		name string
		file []byte
		want map[string][2]int64
	}{
		{"empty_object", rawFile(`{}`, 0), map[string][2]int64{}},
		{"padded_header", rawFile(`{}      `, 0), map[string][2]int64{}},
		{"leading_whitespace", rawFile(` {}`, 0), map[string][2]int64{}},
		{"metadata_null", rawFile(`{"__metadata__":null}`, 0), map[string][2]int64{}},
		{"scalar", rawFile(`{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4), map[string][2]int64{"s": {0, 4}}},
		{"zero_size_tensors_share_offset", rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"I64","shape":[3,0],"data_offsets":[4,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4),
			map[string][2]int64{"a": {4, 4}, "b": {4, 4}, "c": {0, 4}}},
		{"unordered_entries", rawFile(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 2),
			map[string][2]int64{"a": {0, 1}, "b": {1, 2}}},
		{"unknown_field_ignored", rawFile(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":{"x":[1,2]}}}`, 1), map[string][2]int64{"a": {0, 1}}},
		{"empty_name", rawFile(`{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1), map[string][2]int64{"": {0, 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.name, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(f.Names()); got != len(tc.want) {
				t.Fatalf("got %d tensors %v, want %d", got, f.Names(), len(tc.want))
			}
			for name, off := range tc.want {
				info, ok := f.Info(name)
				if !ok || info.Offsets != off {
					t.Errorf("tensor %q: got %+v, %v; want offsets %v", name, info, ok, off)
				}
			}
		})
	}
}

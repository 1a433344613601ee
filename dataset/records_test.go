package dataset

import (
	"errors"
	"strings"
	"testing"
)

func TestReadRecords(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		lines []int // line of each record
	}{
		{"jsonl", `{"a":"1"}` + "\n" + `{"a":"2"}` + "\n", []int{1, 2}},
		{"jsonl_blank_lines_crlf", "\r\n" + `{"a":"1"}` + "\r\n\r\n" + `{"a":"2"}`, []int{2, 4}},
		{"array_one_line", `[{"a":"1"}, {"a":"2"}]`, []int{1, 1}},
		{"array_pretty", "[\n  {\n    \"a\": \"1\"\n  },\n  {\"a\": \"2\"}\n]\n", []int{2, 5}},
		{"array_empty", "[]", nil},
		{"bom_jsonl", "\xef\xbb\xbf" + `{"a":"1"}`, []int{1}},
		{"empty_file", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, err := readRecords("f.json", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tc.lines) {
				t.Fatalf("got %d records, want %d", len(recs), len(tc.lines))
			}
			for i, r := range recs {
				if r.line != tc.lines[i] {
					t.Errorf("record %d: line %d, want %d", i, r.line, tc.lines[i])
				}
			}
		})
	}
}

func TestReadRecordsErrors(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string // prefix of the error
	}{
		{"jsonl_syntax", `{"a":"1"}` + "\n" + `{"a":` + "\n", "f.jsonl:2: unexpected end of JSON input"},
		{"jsonl_not_object", `{"a":"1"}` + "\n\n" + `["a"]`, "f.jsonl:3: want a JSON object, got array"},
		{"jsonl_null", `null`, "f.jsonl:1: want a JSON object, got null"},
		{"jsonl_trailing_garbage", `{"a":"1"} x`, "f.jsonl:1: invalid character 'x'"},
		{"array_missing_comma", "[\n{\"a\":\"1\"}\n{\"a\":\"2\"}\n]", "f.jsonl:3: expected comma after array element"},
		{"array_unterminated", "[\n{\"a\":\"1\"},\n", "f.jsonl:2: unexpected EOF"},
		{"array_of_numbers", "[\n{\"a\":\"1\"},\n2]", "f.jsonl:3: want a JSON object, got number"},
		{"array_trailing_data", "[{\"a\":\"1\"}]\n[]", "f.jsonl:2: data after the closing ']'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readRecords("f.jsonl", []byte(tc.data))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error %v, want prefix %q", err, tc.want)
			}
			var de *Error
			if !errors.As(err, &de) || de.File != "f.jsonl" || de.Line == 0 {
				t.Fatalf("error %#v does not name the file and line", err)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	recs, err := readRecords("f.jsonl", []byte("\n"+`{"s":"x","n":3,"z":null,"o":{},"a":[],"b":true}`))
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	tests := []struct {
		field, want string // want: the value, or the error
	}{
		{"s", "x"},
		{"n", `f.jsonl:2: field "n": want a string, got a number`},
		{"z", `f.jsonl:2: field "z": missing`},
		{"absent", `f.jsonl:2: field "absent": missing`},
		{"o", `f.jsonl:2: field "o": want a string, got an object`},
		{"a", `f.jsonl:2: field "a": want a string, got an array`},
		{"b", `f.jsonl:2: field "b": want a string, got a boolean`},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			got, err := r.required("f.jsonl", tc.field)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzReadRecords checks that any input gives records or an error that
// names the file and a line within it, and never panics.
func FuzzReadRecords(f *testing.F) {
	for _, s := range []string{
		`{"text":"a"}` + "\n" + `{"text":"b"}`,
		`[{"instruction":"i","input":"","output":"o"}]`,
		"[\n{\"a\":1},\n{\"a\":\n",
		`{"a":"\u00e9"}` + "\r\n",
		"\xef\xbb\xbf[]",
		"[]]",
		"null\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := readRecords("fuzz.jsonl", data)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.File != "fuzz.jsonl" || de.Line < 1 || de.Line > lines {
				t.Fatalf("error %v: want fuzz.jsonl and a line in [1, %d]", err, lines)
			}
			return
		}
		prev := 0
		for _, r := range recs {
			if r.fields == nil || r.line < max(prev, 1) || r.line > lines {
				t.Fatalf("record at line %d (previous %d, %d lines) with fields %v", r.line, prev, lines, r.fields)
			}
			prev = r.line
		}
	})
}

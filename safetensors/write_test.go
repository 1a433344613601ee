package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// randomTensor returns a tensor of dtype d with random bytes.
func randomTensor(rng *rand.Rand, name string, d DType, shape []int) Tensor {
	n, _ := byteSize(d, shape)
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	return Tensor{Name: name, DType: d, Shape: shape, Data: data}
}

func TestRoundTripEveryDType(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := [][]int{{}, {0}, {3}, {2, 3}, {1, 2, 3, 1}, {5, 0, 2}}
	var tensors []Tensor
	for _, d := range dtypes {
		for j, s := range shapes {
			tensors = append(tensors, randomTensor(rng, string(d)+"."+string(rune('a'+j)), d, s))
		}
	}
	meta := map[string]string{"format": "pt", "note": "round trip"}
	path := filepath.Join(t.TempDir(), "all.safetensors")
	if err := Write(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	readCopy := func(path string) (*File, error) { return open(path, false) }
	for _, open := range []func(string) (*File, error){Open, ReadFile, readCopy} {
		f, err := open(path)
		if err != nil {
			t.Fatal(err)
		}
		if !equalMaps(f.Metadata, meta) {
			t.Errorf("metadata %v, want %v", f.Metadata, meta)
		}
		if len(f.Names()) != len(tensors) {
			t.Fatalf("%d tensors, want %d", len(f.Names()), len(tensors))
		}
		hdrLen := int64(binary.LittleEndian.Uint64(mustRead(t, path)))
		for _, want := range tensors {
			info, ok := f.Info(want.Name)
			if !ok || info.DType != want.DType || !slices.Equal(info.Shape, want.Shape) {
				t.Errorf("tensor %q: info %+v, want dtype %s shape %v", want.Name, info, want.DType, want.Shape)
				continue
			}
			if abs := 8 + hdrLen + info.Offsets[0]; abs%int64(want.DType.Size()) != 0 {
				t.Errorf("tensor %q: data at file offset %d, not aligned to %d", want.Name, abs, want.DType.Size())
			}
			got, err := f.Bytes(want.Name)
			if err != nil || !bytes.Equal(got, want.Data) {
				t.Errorf("tensor %q: bytes differ (err %v)", want.Name, err)
			}
		}
		f.Close()
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// f32Bytes returns the little-endian bytes of v.
func f32Bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// fileBytes returns a header length, the header and the data, concatenated.
func fileBytes(hdr string, data []byte) []byte {
	return append(append(binary.LittleEndian.AppendUint64(nil, uint64(len(hdr))), hdr...), data...)
}

// TestEncodeReferenceVectors checks Encode against the expected bytes of the reference
// crate's own tests (safetensors/src/tensor.rs: test_serialization,
// test_serialization_forced_alignement, test_empty).
func TestEncodeReferenceVectors(t *testing.T) {
	data := f32Bytes(0, 1, 2, 3, 4, 5)
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		want    []byte
	}{
		{"test_serialization", []Tensor{{"attn.0", F32, []int{1, 2, 3}, data}}, nil,
			fileBytes(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, data)},
		{"test_serialization_forced_alignement", []Tensor{{"attn0", F32, []int{1, 1, 2, 3}, data}}, nil,
			fileBytes(`{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       `, data)},
		{"test_empty", nil, nil, fileBytes(`{}      `, nil)},
		{"test_empty_metadata", nil, map[string]string{"framework": "pt"},
			fileBytes(`{"__metadata__":{"framework":"pt"}}     `, nil)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Encode(&buf, tc.tensors, tc.meta); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), tc.want) {
				t.Errorf("got\n%q\nwant\n%q", buf.Bytes(), tc.want)
			}
		})
	}
}

// TestEncodeLayoutRules locks the layout rules read from the reference crate's prepare():
// tensors sorted by decreasing Dtype enum rank, then by name; __metadata__ first; offsets
// contiguous; header padded with spaces to 8 bytes.
func TestEncodeLayoutRules(t *testing.T) {
	tensors := []Tensor{
		{"z", U8, []int{1}, []byte{7}},
		{"b", F16, []int{1}, []byte{1, 2}},
		{"a", F16, []int{1}, []byte{3, 4}},
		{"w", F64, []int{1}, make([]byte, 8)},
		{"m", BF16, []int{}, []byte{5, 6}},
	}
	hdr := `{"__metadata__":{"a":"1","b":"2"},` +
		`"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},` +
		`"m":{"dtype":"BF16","shape":[],"data_offsets":[8,10]},` +
		`"a":{"dtype":"F16","shape":[1],"data_offsets":[10,12]},` +
		`"b":{"dtype":"F16","shape":[1],"data_offsets":[12,14]},` +
		`"z":{"dtype":"U8","shape":[1],"data_offsets":[14,15]}}`
	hdr += strings.Repeat(" ", (8-len(hdr)%8)%8)
	want := fileBytes(hdr, []byte{0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 3, 4, 1, 2, 7})
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, map[string]string{"b": "2", "a": "1"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("got\n%q\nwant\n%q", buf.Bytes(), want)
	}

	var all []Tensor
	for i, d := range dtypes {
		all = append(all, Tensor{Name: string(rune('a' + i)), DType: d, Shape: []int{1}, Data: make([]byte, d.Size())})
	}
	buf.Reset()
	if err := Encode(&buf, all, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("layout", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	order := f.Names()
	slices.SortFunc(order, func(a, b string) int {
		ia, _ := f.Info(a)
		ib, _ := f.Info(b)
		return int(ia.Offsets[0] - ib.Offsets[0])
	})
	var got []DType
	for _, n := range order {
		info, _ := f.Info(n)
		got = append(got, info.DType)
	}
	wantOrder := []DType{U64, I64, F64, C64, F32, U32, I32, BF16, F16, U16, I16, F8E8M0, F8E4M3, F8E5M2, I8, U8, Bool}
	if !slices.Equal(got, wantOrder) {
		t.Errorf("layout order %v, want %v", got, wantOrder)
	}
}

// TestGoldenPythonSafetensors re-encodes fixture files that Python's safetensors library wrote
// (PEFT's save_pretrained and transformers' save_pretrained call safetensors.torch.save_file)
// and checks the bytes are identical. Their metadata has at most two keys already in sorted
// order; with more keys the library's order follows a Rust hash map and is not reproducible.
func TestGoldenPythonSafetensors(t *testing.T) {
	var paths []string
	for _, m := range []string{"mamba1", "gpt_neox", "gpt_neox_rslora"} {
		for _, f := range []string{"adapter_model.safetensors", "merged_model.safetensors"} {
			paths = append(paths, filepath.Join(fixtureDir, "lora", m, f))
		}
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			want := readFixture(t, path)
			f, err := Parse(path, want)
			if err != nil {
				t.Fatal(err)
			}
			var tensors []Tensor
			for _, name := range f.Names() {
				tensor, err := f.Tensor(name)
				if err != nil {
					t.Fatal(err)
				}
				tensors = append(tensors, tensor)
			}
			var buf bytes.Buffer
			if err := Encode(&buf, tensors, f.Metadata); err != nil {
				t.Fatal(err)
			}
			if got := buf.Bytes(); !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Errorf("bytes differ from the Python library's at offset %d of %d", i, len(want))
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	ok := Tensor{"w", F32, []int{2}, make([]byte, 8)}
	cases := []struct {
		name    string
		tensors []Tensor
		meta    map[string]string
		msg     string
	}{
		{"duplicate_name", []Tensor{ok, ok}, nil, `tensor "w": duplicate name`},
		{"reserved_name", []Tensor{{"__metadata__", U8, []int{1}, []byte{0}}}, nil, "reserved"},
		{"invalid_utf8_name", []Tensor{{"w\xff", U8, []int{1}, []byte{0}}}, nil, "not valid UTF-8"},
		{"unknown_dtype", []Tensor{{"w", "F128", []int{1}, make([]byte, 16)}}, nil, `unknown dtype "F128"`},
		{"sub_byte_dtype", []Tensor{{"w", "F4", []int{2}, make([]byte, 1)}}, nil, `unknown dtype "F4"`},
		{"negative_dim", []Tensor{{"w", U8, []int{-1}, nil}}, nil, "negative dimension"},
		{"short_data", []Tensor{{"w", F32, []int{3}, make([]byte, 8)}}, nil, "8 bytes of data, but shape [3] × F32 needs 12"},
		{"overflow", []Tensor{{"w", F32, []int{math.MaxInt / 2, 3}, nil}}, nil, "overflows"},
		{"invalid_utf8_metadata", nil, map[string]string{"k": "\xff"}, `metadata "k"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Encode(&bytes.Buffer{}, tc.tensors, tc.meta)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want an error containing %q", err, tc.msg)
			}
		})
	}
}

func TestAppendJSONString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain.name", `"plain.name"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\b\t\n\f\r", `"\b\t\n\f\r"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"<>&", `"<>&"`},
		{"é\u2028日本", "\"é\u2028日本\""},
	}
	for _, tc := range cases {
		if got := string(appendJSONString(nil, tc.in)); got != tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		var buf bytes.Buffer
		if err := Encode(&buf, []Tensor{{tc.in, U8, []int{1}, []byte{1}}}, map[string]string{tc.in: tc.in}); err != nil {
			t.Fatal(err)
		}
		f, err := Parse("escape", buf.Bytes())
		if err != nil {
			t.Fatalf("name %q: %v", tc.in, err)
		}
		if _, ok := f.Info(tc.in); !ok || f.Metadata[tc.in] != tc.in {
			t.Errorf("name %q did not round-trip: names %q, metadata %q", tc.in, f.Names(), f.Metadata)
		}
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	first := []Tensor{F32Tensor("w", []int{2}, []float32{1, 2})}
	if err := Write(path, first, nil); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, path)
	bad := []Tensor{{"w", F32, []int{3}, make([]byte, 4)}}
	if err := Write(path, bad, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v, want an error naming %s", err, path)
	}
	if !bytes.Equal(mustRead(t, path), before) {
		t.Error("a failed Write changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed Write, want 1", len(entries))
	}
	if err := Write(path, []Tensor{I64Tensor("ids", []int{1, 2}, []int64{-1, 1 << 40})}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ids, shape, err := f.I64("ids")
	if err != nil || !slices.Equal(ids, []int64{-1, 1 << 40}) || !slices.Equal(shape, []int{1, 2}) {
		t.Errorf("I64 = %v %v %v", ids, shape, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

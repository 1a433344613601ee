package pickle

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestLoadZip(t *testing.T) {
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		t.Run(map[uint16]string{zip.Store: "stored", zip.Deflate: "deflated"}[method], func(t *testing.T) {
			testLoadZip(t, method)
		})
	}
}

func testLoadZip(t *testing.T, method uint16) {
	storages := map[string][]byte{
		"0": f32(0, 1, 2, 3, 4, 5),       // a (2, 3) matrix
		"1": {0x80, 0x3f, 0x00, 0x40},    // bf16 [1, 2]
		"2": {7, 0, 0, 0, 0, 0, 0, 0},    // int64 scalar
		"3": f32(10, 11, 12, 13, 14, 15), // viewed transposed and offset
	}
	entries := []entry{
		{name: "embedding.weight", key: "0", class: "FloatStorage", numel: 6, shape: []int{2, 3}, stride: []int{3, 1}, parameter: true},
		{name: "norm.weight", key: "1", class: "BFloat16Storage", numel: 2, shape: []int{2}, stride: []int{1}},
		{name: "step", key: "2", class: "LongStorage", numel: 1, shape: []int{}, stride: []int{}},
		{name: "lm_head.weight", key: "0", class: "FloatStorage", numel: 6, shape: []int{2, 3}, stride: []int{3, 1}},
		{name: "transposed", key: "3", class: "FloatStorage", numel: 6, shape: []int{3, 2}, stride: []int{1, 3}},
		{name: "row", key: "3", class: "FloatStorage", numel: 6, offset: 3, shape: []int{3}, stride: []int{1}},
		{name: "column", key: "3", class: "FloatStorage", numel: 6, offset: 1, shape: []int{2}, stride: []int{3}},
		{name: "empty", key: "3", class: "FloatStorage", numel: 6, shape: []int{0, 4}, stride: []int{4, 1}},
	}
	path := writeZipMethod(t, stateDictPickle(entries, false), storages, method)
	got, err := load(t, path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{
		{Name: "embedding.weight", DType: "F32", Shape: []int{2, 3}, Data: f32(0, 1, 2, 3, 4, 5)},
		{Name: "norm.weight", DType: "BF16", Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x00, 0x40}},
		{Name: "step", DType: "I64", Shape: []int{}, Data: []byte{7, 0, 0, 0, 0, 0, 0, 0}},
		{Name: "lm_head.weight", DType: "F32", Shape: []int{2, 3}, Data: f32(0, 1, 2, 3, 4, 5), Tied: "embedding.weight"},
		{Name: "transposed", DType: "F32", Shape: []int{3, 2}, Data: f32(10, 13, 11, 14, 12, 15)},
		{Name: "row", DType: "F32", Shape: []int{3}, Data: f32(13, 14, 15)},
		{Name: "column", DType: "F32", Shape: []int{2}, Data: f32(11, 14)},
		{Name: "empty", DType: "F32", Shape: []int{0, 4}, Data: []byte{}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("tensor %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if &got[0].Data[0] != &got[3].Data[0] {
		t.Error("tied weights do not share their bytes")
	}
}

func TestLoadErrors(t *testing.T) {
	good := []entry{{name: "w", key: "0", class: "FloatStorage", numel: 2, shape: []int{2}, stride: []int{1}}}
	goodStorages := map[string][]byte{"0": f32(1, 2)}

	var evil pk // the classic payload: os.system("echo pwned")
	evil.proto()
	evil.global("os", "system")
	evil.mark()
	evil.str("echo pwned")
	evil.tuple()
	evil.reduce()
	evil.stop()

	var eval pk // builtins.eval hidden inside a tensor's arguments
	eval.proto()
	eval.global("__builtin__", "eval")
	eval.stop()

	var notDict pk
	notDict.proto()
	notDict.int(3)
	notDict.stop()

	zipped := writeZip(t, stateDictPickle(good, false), goodStorages)
	full := readAll(t, zipped)
	flipped := bytes.Clone(full)
	flipped[bytes.Index(flipped, f32(1, 2))] ^= 1

	cases := []struct {
		name    string
		path    string
		wantIs  error
		wantMsg string
	}{
		{"os_system", writeZip(t, evil.Bytes(), nil), ErrForbiddenGlobal, "os.system"},
		{"builtins_eval", writeZip(t, eval.Bytes(), nil), ErrForbiddenGlobal, "__builtin__.eval"},
		{"unknown_storage_class", writeZip(t, stateDictPickle([]entry{{name: "w", key: "0", class: "EvilStorage", numel: 2, shape: []int{2}, stride: []int{1}}}, false), goodStorages), ErrForbiddenGlobal, "torch.EvilStorage"},
		{"truncated_zip", writeFile(t, "cut.bin", full[:len(full)/2]), nil, "truncated or corrupt zip"},
		{"corrupt_storage", writeFile(t, "flip.bin", flipped), nil, "archive/data/0: CRC-32 mismatch"},
		{"missing_storage", writeZip(t, stateDictPickle(good, false), nil), nil, "no zip entry archive/data/0"},
		{"short_storage", writeZip(t, stateDictPickle(good, false), map[string][]byte{"0": f32(1)}), nil, "holds 4 bytes, want 8"},
		{"view_past_storage", writeZip(t, stateDictPickle([]entry{{name: "w", key: "0", class: "FloatStorage", numel: 2, offset: 1, shape: []int{2}, stride: []int{1}}}, false), goodStorages), nil, `tensor "w"`},
		{"not_a_state_dict", writeZip(t, notDict.Bytes(), nil), nil, "not a state dict"},
		{"forged_length", writeZip(t, []byte("\x80\x02X\x00\x00\x01\x00abc."), nil), nil, "pickle: truncated"},
		{"forged_length8", writeZip(t, []byte("\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7fabc."), nil), nil, "pickle: argument of"},
		{"unknown_opcode", writeZip(t, []byte("\x80\x02\xff."), nil), nil, "unknown opcode 0xff"},
		{"not_a_checkpoint", writeFile(t, "x.bin", []byte("hello world")), nil, "neither a zip nor"},
		{"empty_file", writeFile(t, "e.bin", nil), nil, "too short"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.path)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if c.wantIs != nil && !errors.Is(err, c.wantIs) {
				t.Errorf("error %q is not %v", err, c.wantIs)
			}
			if !strings.Contains(err.Error(), c.wantMsg) || !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %q and the file", err, c.wantMsg)
			}
		})
	}
}

// legacyFile writes the pre-1.6 torch.save layout around a state-dict pickle.
func legacyFile(t *testing.T, entries []entry, storages map[string][]byte, keys []string) string {
	t.Helper()
	var b bytes.Buffer
	magic, _ := new(big.Int).SetString(legacyMagic, 16)
	mb := magic.Bytes() // big-endian; LONG1 wants little-endian two's complement
	le := make([]byte, len(mb)+1)
	for i, c := range mb {
		le[len(mb)-1-i] = c
	}
	b.Write([]byte{0x80, 2, 0x8a, byte(len(le))})
	b.Write(le)
	b.WriteByte('.')
	var p pk
	p.proto()
	p.int(legacyProtocol)
	p.stop()
	p.proto() // sys_info: {'little_endian': True}
	p.emptyDict()
	p.str("little_endian")
	p.boolean(true)
	p.WriteByte('s')
	p.stop()
	b.Write(p.Bytes())
	b.Write(stateDictPickle(entries, true))
	var k pk
	k.proto()
	k.WriteByte(']') // EMPTY_LIST
	k.mark()
	for _, key := range keys {
		k.str(key)
	}
	k.WriteByte('e') // APPENDS
	k.stop()
	b.Write(k.Bytes())
	for _, key := range keys {
		data := storages[key]
		_ = binary.Write(&b, binary.LittleEndian, int64(len(data)/4))
		b.Write(data)
	}
	return writeFile(t, "legacy.bin", b.Bytes())
}

func TestLoadLegacy(t *testing.T) {
	entries := []entry{
		{name: "a", key: "140", class: "FloatStorage", numel: 4, shape: []int{2, 2}, stride: []int{1, 2}},
		{name: "b", key: "141", class: "FloatStorage", numel: 1, shape: []int{1}, stride: []int{1}},
		{name: "slice", key: "140", class: "FloatStorage", numel: 4, shape: []int{2}, stride: []int{1}, view: &legacyView{"v1", 1, 2}},
	}
	storages := map[string][]byte{"140": f32(1, 2, 3, 4), "141": f32(9)}
	got, err := load(t, legacyFile(t, entries, storages, []string{"140", "141"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []Tensor{
		{Name: "a", DType: "F32", Shape: []int{2, 2}, Data: f32(1, 3, 2, 4)},
		{Name: "b", DType: "F32", Shape: []int{1}, Data: f32(9)},
		{Name: "slice", DType: "F32", Shape: []int{2}, Data: f32(2, 3)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	_, err = load(t, legacyFile(t, entries, map[string][]byte{"140": f32(1, 2, 3, 4), "141": nil}, []string{"140", "141"}))
	if err == nil || !strings.Contains(err.Error(), "storage 141") {
		t.Errorf("short legacy storage: error %v, want one naming storage 141", err)
	}
}

// FuzzLoadZip feeds arbitrary pickles to the zip loader: it must return an
// error or tensors, never panic.
func FuzzLoadZip(f *testing.F) {
	f.Add(stateDictPickle([]entry{{name: "w", key: "0", class: "FloatStorage", numel: 2, shape: []int{2}, stride: []int{1}}}, false))
	f.Add([]byte{0x80, 2, 'c', 'o', 's', '\n', 's', 'y', 's', 't', 'e', 'm', '\n', '.'})
	for _, golden := range []string{"testdata/torch_save_zip.bin", "testdata/torch_save_zip_proto4.bin"} {
		zr, err := zip.OpenReader(golden)
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range zr.File {
			if e.Name == "archive/data.pkl" {
				r, _ := e.Open()
				b, _ := io.ReadAll(r)
				f.Add(b)
			}
		}
		zr.Close()
	}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		_, _ = load(t, writeZip(t, pkl, map[string][]byte{"0": f32(1, 2)}))
	})
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

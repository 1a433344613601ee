package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/half"
)

// fixtureDir holds the reference fixtures, relative to this package's directory.
const fixtureDir = "../../shared/fixtures"

// readFixture returns the bytes of a fixture file, skipping the test when it is absent.
func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("fixture %s is absent (the shared fixtures are not checked out here)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFixtures opens every fixture file with Open, checks it against ReadFile, checks that
// zero-copy views equal the converted values and that each file survives a write/read round
// trip. (Most fixtures were not written by the safetensors library: their __metadata__ comes
// last and tensors are not sorted by dtype, so only TestGoldenPythonSafetensors compares bytes.)
func TestFixtures(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(fixtureDir, "*", "*.safetensors"))
	nested, _ := filepath.Glob(filepath.Join(fixtureDir, "*", "*", "*.safetensors"))
	paths = append(paths, nested...)
	if len(paths) == 0 {
		t.Skipf("no fixtures under %s (the shared fixtures are not checked out here)", fixtureDir)
	}
	for _, path := range paths {
		mapped, err := Open(path)
		if err != nil {
			t.Error(err)
			continue
		}
		read, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if mapped.Metadata["format"] != "pt" {
			t.Errorf("%s: metadata %v lacks format=pt", path, mapped.Metadata)
		}
		for _, name := range mapped.Names() {
			a, _ := mapped.Bytes(name)
			b, _ := read.Bytes(name)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: tensor %q: mapped and read bytes differ", path, name)
			}
			info, _ := mapped.Info(name)
			if info.DType == F32 {
				view, ok := mapped.F32View(name)
				conv, _, err := mapped.F32(name)
				if !ok || err != nil || !slices.Equal(view, conv) {
					t.Errorf("%s: tensor %q: F32View ok=%v differs from F32 (err %v)", path, name, ok, err)
				}
			}
		}
		checkRoundTrip(t, read)
		mapped.Close()
		read.Close()
	}
}

func TestMamba1Fixture(t *testing.T) {
	path := filepath.Join(fixtureDir, "mamba1", "model.safetensors")
	readFixture(t, path)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := []struct {
		name  string
		shape []int
	}{
		{"backbone.embedding.weight", []int{512, 64}},
		{"backbone.layers.0.mixer.A_log", []int{128, 16}},
		{"backbone.layers.1.mixer.conv1d.weight", []int{128, 1, 4}},
		{"backbone.layers.0.mixer.x_proj.weight", []int{36, 128}},
	}
	for _, tc := range cases {
		x, shape, err := f.F32(tc.name)
		if err != nil || !slices.Equal(shape, tc.shape) || len(x) != (&TensorInfo{Shape: tc.shape}).Numel() {
			t.Errorf("%s: shape %v len %d err %v, want shape %v", tc.name, shape, len(x), err, tc.shape)
		}
	}
	emb, _, _ := f.F32("backbone.embedding.weight")
	head, _, _ := f.F32("lm_head.weight")
	if !slices.Equal(emb, head) {
		t.Error("tied lm_head.weight differs from backbone.embedding.weight")
	}
	ids, shape, err := mustParseFixture(t, filepath.Join(fixtureDir, "mamba1", "inputs.safetensors")).I64("input_ids")
	if err != nil || !slices.Equal(shape, []int{2, 33}) || slices.ContainsFunc(ids, func(v int64) bool { return v < 0 || v >= 512 }) {
		t.Errorf("input_ids: shape %v err %v, want [2 33] ids in [0, 512)", shape, err)
	}
}

func mustParseFixture(t *testing.T, path string) *File {
	t.Helper()
	f, err := Parse(path, readFixture(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestF32Conversions checks F32 on every floating-point dtype against values computed
// independently.
func TestF32Conversions(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	le := binary.LittleEndian
	var f64 []byte
	for _, v := range []float64{1.5, -2, 1e-50, math.Pi} {
		f64 = le.AppendUint64(f64, math.Float64bits(v))
	}
	var bf, fh []byte
	for _, v := range []float32{1, -2.5, 0.15625} {
		bf = le.AppendUint16(bf, uint16(half.BF16FromF32(v)))
		fh = le.AppendUint16(fh, uint16(half.F16FromF32(v)))
	}
	cases := []struct {
		name string
		d    DType
		data []byte
		want []float32
	}{
		{"f32", F32, f32Bytes(1, -0.5, inf), []float32{1, -0.5, inf}},
		{"f64_rounds", F64, f64, []float32{1.5, -2, 0, float32(math.Pi)}},
		{"bf16", BF16, bf, []float32{1, -2.5, 0.15625}},
		{"f16", F16, fh, []float32{1, -2.5, 0.15625}},
		// E4M3: 0x38 = 2^0, 0x01 = min subnormal 2^-9, 0x7e = max 448, 0xb8 = -1, 0x7f NaN, 0x08 = min normal 2^-6.
		{"f8_e4m3", F8E4M3, []byte{0x38, 0x01, 0x7e, 0xb8, 0x7f, 0x08, 0x00, 0x80}, []float32{1, 1.0 / 512, 448, -1, nan, 1.0 / 64, 0, float32(math.Copysign(0, -1))}},
		// E5M2: 0x3c = 1, 0x7b = max 57344, 0x7c = +inf, 0xfc = -inf, 0x7d NaN, 0x01 = 2^-16.
		{"f8_e5m2", F8E5M2, []byte{0x3c, 0x7b, 0x7c, 0xfc, 0x7d, 0x01}, []float32{1, 57344, inf, -inf, nan, 1.0 / 65536}},
		// E8M0: 127 = 1, 0 = 2^-127, 254 = 2^127, 255 NaN.
		{"f8_e8m0", F8E8M0, []byte{127, 0, 254, 255, 128}, []float32{1, float32(math.Ldexp(1, -127)), float32(math.Ldexp(1, 127)), nan, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.data) / tc.d.Size()
			f := encodeParse(t, Tensor{"x", tc.d, []int{n}, tc.data})
			got, shape, err := f.F32("x")
			if err != nil || !slices.Equal(shape, []int{n}) {
				t.Fatalf("shape %v err %v", shape, err)
			}
			for i := range tc.want {
				same := got[i] == tc.want[i] && math.Signbit(float64(got[i])) == math.Signbit(float64(tc.want[i]))
				if !same && !(isNaN(got[i]) && isNaN(tc.want[i])) {
					t.Errorf("element %d: got %g, want %g", i, got[i], tc.want[i])
				}
			}
		})
	}
	f := encodeParse(t, Tensor{"i", I32, []int{1}, make([]byte, 4)})
	if _, _, err := f.F32("i"); err == nil || !strings.Contains(err.Error(), `tensor "i": dtype I32 is not a floating-point type`) {
		t.Errorf("F32 on I32: got %v", err)
	}
}

func isNaN(x float32) bool { return x != x }

// encodeParse encodes tensors and parses them back.
func encodeParse(t *testing.T, tensors ...Tensor) *File {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Parse("test.safetensors", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestI64Widening(t *testing.T) {
	le := binary.LittleEndian
	cases := []struct {
		name string
		d    DType
		data []byte
		want []int64
		err  string
	}{
		{"i64", I64, le.AppendUint64(le.AppendUint64(nil, 5), math.MaxUint64), []int64{5, -1}, ""},
		{"u64", U64, le.AppendUint64(nil, math.MaxInt64), []int64{math.MaxInt64}, ""},
		{"u64_overflow", U64, le.AppendUint64(nil, math.MaxInt64+1), nil, "U64 element 0 = 9223372036854775808 overflows int64"},
		{"i32", I32, le.AppendUint32(nil, math.MaxUint32), []int64{-1}, ""},
		{"u32", U32, le.AppendUint32(nil, math.MaxUint32), []int64{math.MaxUint32}, ""},
		{"i16", I16, le.AppendUint16(nil, 0x8000), []int64{-32768}, ""},
		{"u16", U16, le.AppendUint16(nil, 0x8000), []int64{32768}, ""},
		{"i8", I8, []byte{0xff, 7}, []int64{-1, 7}, ""},
		{"u8", U8, []byte{0xff, 7}, []int64{255, 7}, ""},
		{"bool", Bool, []byte{0, 1, 2}, []int64{0, 1, 1}, ""},
		{"f32", F32, f32Bytes(1), nil, "dtype F32 is not an integer type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := len(tc.data) / tc.d.Size()
			got, _, err := encodeParse(t, Tensor{"x", tc.d, []int{n}, tc.data}).I64("x")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), `tensor "x"`) {
					t.Errorf("got %v, want an error naming tensor \"x\" containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("got %v %v, want %v", got, err, tc.want)
			}
		})
	}
}

// TestF32View checks the zero-copy view: offered for aligned F32 data over a mapping and
// over memory, refused for other dtypes and for misaligned data.
func TestF32View(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.safetensors")
	want := []float32{1, 2, 3, 4, 5, 6}
	tensors := []Tensor{F32Tensor("w", []int{2, 3}, want), {"b", U8, []int{3}, []byte{1, 2, 3}}}
	if err := Write(path, tensors, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	view, ok := f.F32View("w")
	if !ok || !slices.Equal(view, want) {
		t.Errorf("F32View = %v, %v; want %v, true", view, ok, want)
	}
	if _, ok := f.F32View("b"); ok {
		t.Error("F32View offered a view of a U8 tensor")
	}
	if _, ok := f.F32View("missing"); ok {
		t.Error("F32View offered a view of a missing tensor")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.F32View("w"); ok {
		t.Error("F32View offered a view after Close")
	}
	if _, err := f.Bytes("w"); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Bytes after Close: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// A header of 8k+2 bytes puts F32 data at a file offset ≡ 2 (mod 4): no view, F32 still works.
	hdr := `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	hdr += strings.Repeat(" ", (8-len(hdr)%8)%8+2)
	buf := make([]byte, 0, 64+len(hdr))
	buf = append(buf, fileBytes(hdr, f32Bytes(7))...)
	g, err := Parse("misaligned", buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.F32View("w"); ok {
		t.Error("F32View offered a misaligned view")
	}
	if x, _, err := g.F32("w"); err != nil || x[0] != 7 {
		t.Errorf("F32 of misaligned data = %v, %v", x, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.safetensors")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Open of a directory: %v", err)
	}
	f := encodeParse(t, F32Tensor("w", []int{1}, []float32{1}))
	for _, err := range []error{
		func() error { _, err := f.Bytes("nope"); return err }(),
		func() error { _, _, err := f.F32("nope"); return err }(),
		func() error { _, _, err := f.I64("nope"); return err }(),
		func() error { _, err := f.Tensor("nope"); return err }(),
	} {
		if err == nil || !strings.Contains(err.Error(), `test.safetensors: tensor "nope": no such tensor`) {
			t.Errorf("got %v, want a no-such-tensor error naming file and tensor", err)
		}
	}
}

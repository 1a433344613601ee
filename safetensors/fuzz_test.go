package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to Open and Parse. Both must agree, never panic, and either
// reject the bytes with an *Error naming the file or accept them; an accepted file must serve
// every tensor through every accessor and survive a write/read round trip unchanged.
//
//	go test -fuzz=FuzzOpen ./safetensors/
func FuzzOpen(f *testing.F) {
	for _, tc := range hostileCases {
		f.Add(tc.file)
	}
	f.Add(rawFile(`{}`, 0))
	f.Add(rawFile(`{"__metadata__":{"format":"pt"},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, 4))
	f.Add(rawFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[2,2]},"b":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}}`, 2))
	rng := rand.New(rand.NewPCG(3, 4))
	var all []Tensor
	for i, d := range dtypes {
		all = append(all, randomTensor(rng, string(d), d, []int{i % 3, 2}))
	}
	var buf bytes.Buffer
	if err := Encode(&buf, all, map[string]string{"format": "pt", "k": "v\n\"q\""}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	if b, err := os.ReadFile(filepath.Join(fixtureDir, "mamba1", "inputs.safetensors")); err == nil {
		f.Add(b)
	}
	path := filepath.Join(f.TempDir(), "fuzz.safetensors")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		parsed, errParse := Parse(path, b)
		mapped, errOpen := Open(path)
		if (errParse == nil) != (errOpen == nil) {
			t.Fatalf("Parse error %v but Open error %v", errParse, errOpen)
		}
		if errParse != nil {
			var e *Error
			if !errors.As(errParse, &e) || e.Path != path {
				t.Fatalf("error %v (%T) is not an *Error naming the file", errParse, errParse)
			}
			return
		}
		defer mapped.Close()
		for _, name := range parsed.Names() {
			exercise(t, parsed, mapped, name)
		}
		checkRoundTrip(t, parsed)
	})
}

// FuzzHeader fuzzes the JSON header with a well-formed length prefix, which FuzzOpen's
// mutations mostly break, so that mutations reach the header parser and layout checks.
//
//	go test -fuzz=FuzzHeader ./safetensors/
func FuzzHeader(f *testing.F) {
	for _, tc := range hostileCases {
		if len(tc.file) >= 8 {
			n := binary.LittleEndian.Uint64(tc.file)
			if n <= uint64(len(tc.file)-8) {
				f.Add(string(tc.file[8:8+n]), uint16(uint64(len(tc.file)-8)-n))
			}
		}
	}
	f.Add(`{"__metadata__":{"format":"pt"},"a":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]},"b":{"dtype":"F8_E4M3","shape":[3],"data_offsets":[4,7]}}`, uint16(7))
	f.Fuzz(func(t *testing.T, hdr string, dataLen uint16) {
		path := "fuzz.safetensors"
		g, err := Parse(path, rawFile(hdr, int(dataLen)))
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Path != path {
				t.Fatalf("error %v (%T) is not an *Error naming the file", err, err)
			}
			return
		}
		for _, name := range g.Names() {
			exercise(t, g, g, name)
		}
		checkRoundTrip(t, g)
	})
}

// exercise calls every accessor on one tensor of two views of the same file.
func exercise(t *testing.T, parsed, mapped *File, name string) {
	info, ok := parsed.Info(name)
	if !ok {
		t.Fatalf("Names lists %q but Info does not find it", name)
	}
	a, errA := parsed.Bytes(name)
	m, errM := mapped.Bytes(name)
	if errA != nil || errM != nil || !bytes.Equal(a, m) || int64(len(a)) != info.Offsets[1]-info.Offsets[0] {
		t.Fatalf("tensor %q: Bytes differ or fail: %v %v", name, errA, errM)
	}
	if x, shape, err := parsed.F32(name); err == nil && (len(x) != info.Numel() || !slices.Equal(shape, info.Shape)) {
		t.Fatalf("tensor %q: F32 gave %d values of shape %v for %+v", name, len(x), shape, info)
	}
	if x, _, err := parsed.I64(name); err == nil && len(x) != info.Numel() {
		t.Fatalf("tensor %q: I64 gave %d values for %+v", name, len(x), info)
	}
	if v, ok := mapped.F32View(name); ok && len(v) != info.Numel() {
		t.Fatalf("tensor %q: F32View gave %d values for %+v", name, len(v), info)
	}
}

// checkRoundTrip writes an accepted file's tensors and metadata and reads them back.
func checkRoundTrip(t *testing.T, f *File) {
	var tensors []Tensor
	for _, name := range f.Names() {
		x, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		tensors = append(tensors, x)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, tensors, f.Metadata); err != nil {
		t.Fatalf("re-encoding an accepted file: %v", err)
	}
	g, err := Parse("again", buf.Bytes())
	if err != nil {
		t.Fatalf("re-reading a re-encoded file: %v", err)
	}
	if !slices.Equal(g.Names(), f.Names()) || !equalMaps(g.Metadata, f.Metadata) || (g.Metadata == nil) != (f.Metadata == nil) {
		t.Fatalf("round trip changed names %q → %q or metadata %q → %q", f.Names(), g.Names(), f.Metadata, g.Metadata)
	}
	for _, want := range tensors {
		got, _ := g.Tensor(want.Name)
		if got.DType != want.DType || !slices.Equal(got.Shape, want.Shape) || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("round trip changed tensor %q", want.Name)
		}
	}
	var again bytes.Buffer
	if err := Encode(&again, tensors, g.Metadata); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Fatalf("encoding is not deterministic (err %v)", err)
	}
}

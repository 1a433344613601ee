package safetensors

import (
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// BenchmarkOpen measures opening and validating a 16 MiB checkpoint of 64 tensors, mapped
// and read; bytes/s counts the file size.
func BenchmarkOpen(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	var tensors []Tensor
	for i := range 64 {
		tensors = append(tensors, randomTensor(rng, "layers."+string(rune('a'+i%26))+string(rune('a'+i/26)), F32, []int{256, 256}))
	}
	path := filepath.Join(b.TempDir(), "bench.safetensors")
	if err := Write(path, tensors, map[string]string{"format": "pt"}); err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		mmap bool
	}{{"mmap", true}, {"read", false}} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetBytes(64 * 256 * 256 * 4)
			for b.Loop() {
				f, err := open(path, mode.mmap)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkF32 measures conversion to float32 per source dtype; bytes/s counts output bytes.
func BenchmarkF32(b *testing.B) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(7, 8))
	for _, d := range []DType{F32, F64, BF16, F16, F8E4M3} {
		f := encodeParseB(b, randomTensor(rng, "x", d, []int{n}))
		b.Run(string(d), func(b *testing.B) {
			b.SetBytes(4 * n)
			for b.Loop() {
				if _, _, err := f.F32("x"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func encodeParseB(b *testing.B, t Tensor) *File {
	path := filepath.Join(b.TempDir(), "x.safetensors")
	if err := Write(path, []Tensor{t}, nil); err != nil {
		b.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

package tensor

import (
	"fmt"
	"testing"
)

// The reported bytes/s count the bytes read plus the bytes written.
func BenchmarkCopy(b *testing.B) {
	const n = 1024
	for _, from := range []DType{F32, BF16} {
		for _, to := range []DType{F32, BF16, F16} {
			src := Must(New(from, n, n))
			dense := Must(New(to, n, n))
			for _, bb := range []struct {
				name     string
				dst, src *Tensor
			}{
				{"dense", dense, src},
				{"transposed_src", dense, src.T()},
			} {
				b.Run(fmt.Sprintf("%v_to_%v/%s/%dx%d", from, to, bb.name, n, n), func(b *testing.B) {
					b.SetBytes(int64(n * n * (from.Size() + to.Size())))
					for b.Loop() {
						if err := Copy(bb.dst, bb.src); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

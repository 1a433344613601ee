package tensor_test

import (
	"fmt"

	"github.com/steady-ml/steady/tensor"
)

func Example() {
	// A (2, 3) float32 matrix over existing data: no copy.
	x, err := tensor.FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		panic(err)
	}
	xt := x.T() // (3, 2) view: strides swapped, storage shared
	fmt.Println(xt, xt.Strides(), xt.IsContiguous(), xt.At(2, 0))

	packed := xt.Contiguous() // copies the view into row-major storage
	fmt.Println(packed.F32s())

	h, err := x.ToBF16() // rounded to nearest, ties to even
	if err != nil {
		panic(err)
	}
	fmt.Println(h, h.At(1, 2))

	_, err = x.Reshape(4, 2)
	fmt.Println(err)
	// Output:
	// F32[3 2] [1 3] false 3
	// [1 4 2 5 3 6]
	// BF16[2 3] 6
	// tensor.Reshape F32[2 3] to [4 2]: 6 elements, the new shape holds 8
}

func ExampleArena() {
	var a tensor.Arena
	for step := range 3 {
		a.Reset()           // reuse last step's buffers: no allocation after step 0
		h := a.F32(2, 4, 8) // h: (batch, seqLen, dModel), zeroed
		h.F32s()[0] = float32(step)
		fmt.Println(h, a.Len(), a.Bytes())
	}
	// Output:
	// F32[2 4 8] 1 256
	// F32[2 4 8] 1 256
	// F32[2 4 8] 1 256
}

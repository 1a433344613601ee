package half_test

import (
	"fmt"

	"github.com/steady-ml/steady/half"
)

func Example() {
	x := []float32{1, 1.00390625, 3.14159265, 65519, 65520, 1e-7}

	bf := make([]half.BF16, len(x))
	half.BF16FromF32s(bf, x)
	back := make([]float32, len(x))
	half.F32sFromBF16(back, bf)
	fmt.Println("bf16:", back)

	h := make([]half.F16, len(x))
	half.F16FromF32s(h, x)
	half.F32sFromF16(back, h)
	fmt.Println("f16: ", back)

	half.RoundF16(x) // the same values, without a 16-bit buffer
	fmt.Println("f16: ", x)
	// Output:
	// bf16: [1 1 3.140625 65536 65536 1.0011718e-07]
	// f16:  [1 1.0039062 3.140625 65504 +Inf 1.1920929e-07]
	// f16:  [1 1.0039062 3.140625 65504 +Inf 1.1920929e-07]
}

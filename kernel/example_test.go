package kernel_test

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

func ExampleSgemm() {
	// C (2×2) = A (2×3) · Bᵀ, with B stored 2×3 as a Linear layer's weight.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{1, 0, 0, 0, 1, 1}
	c := make([]float32, 4)
	kernel.Sgemm(false, true, 2, 2, 3, 1, a, 3, b, 3, 0, c, 2)
	fmt.Println(c)
	// Output: [1 5 4 11]
}

func ExampleSgemmBF16() {
	// 1, 2, 3, 4 and 0.5 are exact in bf16: bit patterns are the top 16
	// bits of the float32.
	a := []uint16{0x3f80, 0x4000} // 1×2: [1 2]
	b := []uint16{0x4040, 0x4080} // 2×1: [3; 4]
	c := []float32{10}
	kernel.SgemmBF16(false, false, 1, 1, 2, 0.5, a, 2, b, 1, 1, c, 1) // c = 0.5·(3+8) + 10
	fmt.Println(c[0])
	// Output: 15.5
}

//go:build !purego

package half

import "golang.org/x/sys/cpu"

// The SIMD loops need AVX2 (bfloat16, and the 256-bit forms of the F16C
// instructions) and F16C (float16). Without them the portable loops run.
var (
	hasAVX2 = cpu.X86.HasAVX2
	hasF16C = cpu.X86.HasAVX2 && cpu.X86.HasF16C
)

//go:noescape
func bf16FromF32sAVX2(dst *BF16, src *float32, n int)

//go:noescape
func f32sFromBF16AVX2(dst *float32, src *BF16, n int)

//go:noescape
func roundBF16AVX2(x *float32, n int)

//go:noescape
func f16FromF32sF16C(dst *F16, src *float32, n int)

//go:noescape
func f32sFromF16F16C(dst *float32, src *F16, n int)

//go:noescape
func roundF16F16C(x *float32, n int)

// The *Vec functions convert the longest prefix that the SIMD loop handles
// (a multiple of 8 or 16 elements) and return its length; the caller
// finishes the rest with the portable loop. len(dst) == len(src).

func bf16FromF32sVec(dst []BF16, src []float32) int {
	n := len(src) &^ 15
	if !hasAVX2 || n == 0 {
		return 0
	}
	bf16FromF32sAVX2(&dst[0], &src[0], n)
	return n
}

func f32sFromBF16Vec(dst []float32, src []BF16) int {
	n := len(src) &^ 15
	if !hasAVX2 || n == 0 {
		return 0
	}
	f32sFromBF16AVX2(&dst[0], &src[0], n)
	return n
}

func roundBF16Vec(x []float32) int {
	n := len(x) &^ 7
	if !hasAVX2 || n == 0 {
		return 0
	}
	roundBF16AVX2(&x[0], n)
	return n
}

func f16FromF32sVec(dst []F16, src []float32) int {
	n := len(src) &^ 15
	if !hasF16C || n == 0 {
		return 0
	}
	f16FromF32sF16C(&dst[0], &src[0], n)
	return n
}

func f32sFromF16Vec(dst []float32, src []F16) int {
	n := len(src) &^ 15
	if !hasF16C || n == 0 {
		return 0
	}
	f32sFromF16F16C(&dst[0], &src[0], n)
	return n
}

func roundF16Vec(x []float32) int {
	n := len(x) &^ 15
	if !hasF16C || n == 0 {
		return 0
	}
	roundF16F16C(&x[0], n)
	return n
}

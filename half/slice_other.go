//go:build !amd64 || purego

package half

// Without SIMD loops (other architectures, or the purego build tag) the
// *Vec functions convert nothing and the portable loops do all the work.

func bf16FromF32sVec([]BF16, []float32) int { return 0 }
func f32sFromBF16Vec([]float32, []BF16) int { return 0 }
func roundBF16Vec([]float32) int            { return 0 }
func f16FromF32sVec([]F16, []float32) int   { return 0 }
func f32sFromF16Vec([]float32, []F16) int   { return 0 }
func roundF16Vec([]float32) int             { return 0 }

package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/steady-ml/steady/half"
)

// convertRef is the value v takes in dtype dt by the scalar casts of package
// half; v is exactly representable as a float32.
func convertRef(dt DType, v float64) float64 {
	switch dt {
	case BF16:
		return float64(half.BF16FromF32(float32(v)).F32())
	case F16:
		return float64(half.F16FromF32(float32(v)).F32())
	}
	return float64(float32(v))
}

func sameValues(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) })
}

func TestCopyConvertsEveryDTypePair(t *testing.T) {
	floats := []float32{1, 1.00390625, -2.5, 65520, 3e-8, float32(math.NaN()), float32(math.Inf(-1)), 0.1}
	ints := []int64{0, -3, 1 << 24, 1<<24 + 1, 1<<40 + 3}
	for _, from := range []DType{F32, BF16, F16, I64} {
		for _, to := range []DType{F32, BF16, F16, I64} {
			t.Run(fmt.Sprintf("%v_to_%v", from, to), func(t *testing.T) {
				var src *Tensor
				if from == I64 {
					src = Must(FromI64(slices.Clone(ints), len(ints)))
				} else {
					f := Must(FromF32(slices.Clone(floats), 2, 4))
					src = Must(New(from, 2, 4))
					if err := Copy(src, f); err != nil {
						t.Fatal(err)
					}
				}
				dst := Must(New(to, src.Shape()...))
				err := Copy(dst, src)
				refused := from != to && (to == I64 || from == I64 && to != F32)
				if refused {
					wantErr(t, err, fmt.Sprintf("cannot convert %v to %v", from, to))
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := elements(src)
				if from != I64 {
					for i, v := range want {
						want[i] = convertRef(to, v)
					}
				} else if to == F32 {
					for i, v := range ints {
						want[i] = float64(float32(v))
					}
				} else {
					for i, v := range ints {
						want[i] = float64(v)
					}
				}
				if got := elements(dst); !sameValues(got, want) {
					t.Errorf("Copy %v to %v: %v, want %v", src, dst, got, want)
				}
			})
		}
	}
}

func TestCopyViews(t *testing.T) {
	src := arange(F32, 3, 4, 5)
	for i, v := range src.F32s() {
		src.F32s()[i] = v + 0.3 // not representable in 16 bits: conversions round
	}
	big := arange(F32, 2, 37, 21) // planes larger than one tile of rows
	for i, v := range big.F32s() {
		big.F32s()[i] = v / 7
	}
	bigBF16 := Must(big.ToBF16())
	tests := []struct {
		name string
		src  *Tensor
		dst  *Tensor
	}{
		{"T_to_dense_BF16", src.T(), Must(New(BF16, 3, 5, 4))},
		{"dense_to_T_F16", Must(src.Reshape(3, 5, 4)), Must(New(F16, 3, 4, 5)).T()},
		{"T_to_T_F32", src.T(), Must(New(F32, 3, 4, 5)).T()},
		{"outer_transpose_to_dense", Must(src.Transpose(0, 2)), Must(New(F32, 5, 4, 3))},
		{"narrowed_to_narrowed", Must(src.Narrow(2, 1, 3)), Must(Must(New(BF16, 3, 4, 7)).Narrow(2, 2, 3))},
		{"tiled_transpose_F32_to_BF16", big.T(), Must(New(BF16, 2, 21, 37))},
		{"tiled_transpose_BF16_to_F32", bigBF16.T(), Must(New(F32, 2, 21, 37))},
		{"tiled_into_transposed_F16", big, Must(New(F16, 2, 21, 37)).T()},
		{"narrowed_flattened_F16", Must(Must(src.Narrow(0, 1, 1)).Reshape(-1)), Must(New(F16, 20))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Copy(tt.dst, tt.src); err != nil {
				t.Fatal(err)
			}
			want := elements(tt.src)
			for i, v := range want {
				want[i] = convertRef(tt.dst.DType(), v)
			}
			if got := elements(tt.dst); !sameValues(got, want) {
				t.Errorf("Copy %v (strides %v) to %v (strides %v): %v, want %v", tt.src, tt.src.Strides(), tt.dst, tt.dst.Strides(), got, want)
			}
		})
	}
	wantErr(t, Copy(Must(New(F32, 4, 3)), Must(New(F32, 3, 4))), "tensor.Copy: dst F32[4 3] and src F32[3 4] differ in shape")
}

func TestCopyScalar(t *testing.T) {
	src := Must(FromF32([]float32{1.5}))
	dst := Must(New(BF16))
	if err := Copy(dst, src); err != nil || dst.At() != 1.5 {
		t.Errorf("Copy of a scalar: %v, %v; want 1.5", dst.At(), err)
	}
}

func TestToConversions(t *testing.T) {
	x := arange(F32, 2, 3).T()
	x.Set(0.1, 0, 0)
	tests := []struct {
		name string
		conv func(*Tensor) (*Tensor, error)
		dt   DType
	}{
		{"ToF32", (*Tensor).ToF32, F32},
		{"ToBF16", (*Tensor).ToBF16, BF16},
		{"ToF16", (*Tensor).ToF16, F16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y, err := tt.conv(x)
			if err != nil {
				t.Fatal(err)
			}
			if y.DType() != tt.dt || !y.IsContiguous() || !slices.Equal(y.Shape(), []int{3, 2}) {
				t.Fatalf("%s of %v = %v (contiguous %v)", tt.name, x, y, y.IsContiguous())
			}
			want := elements(x)
			for i, v := range want {
				want[i] = convertRef(tt.dt, v)
			}
			if got := elements(y); !sameValues(got, want) {
				t.Errorf("%s: %v, want %v", tt.name, got, want)
			}
			y.Set(42, 0, 1)
			if x.At(0, 1) == 42 {
				t.Errorf("%s shares storage with its source", tt.name)
			}
			_, err = tt.conv(Must(New(I64, 2)))
			if tt.dt == F32 {
				if err != nil {
					t.Errorf("ToF32 of I64: %v", err)
				}
				return
			}
			wantErr(t, err, "tensor."+tt.name+" of I64[2]: cannot convert I64 to "+tt.dt.String())
		})
	}
}

func TestCopyDoesNotAllocate(t *testing.T) {
	src := arange(F32, 3, 20, 30)
	tests := []struct {
		name     string
		dst, src *Tensor
	}{
		{"dense_F32_to_BF16", Must(New(BF16, 3, 20, 30)), src},
		{"transposed_F32_to_F16", Must(New(F16, 3, 30, 20)), src.T()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(20, func() {
				if err := Copy(tt.dst, tt.src); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("Copy allocated %v times, want 0", allocs)
			}
		})
	}
}

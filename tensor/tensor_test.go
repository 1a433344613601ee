package tensor

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// arange returns a contiguous tensor holding 0, 1, 2, … in row-major order.
func arange(dt DType, shape ...int) *Tensor {
	t := Must(New(dt, shape...))
	idx := make([]int, len(shape))
	for n := range t.Numel() {
		rem := n
		for i := len(shape) - 1; i >= 0; i-- {
			idx[i] = rem % shape[i]
			rem /= shape[i]
		}
		t.Set(float64(n), idx...)
	}
	return t
}

// elements returns the elements of t in row-major order via At, a
// reference independent of strides and fast paths.
func elements(t *Tensor) []float64 {
	var out []float64
	idx := make([]int, t.Rank())
	var walk func(d int)
	walk = func(d int) {
		if d == t.Rank() {
			out = append(out, t.At(idx...))
			return
		}
		for i := range t.Dim(d) {
			idx[d] = i
			walk(d + 1)
		}
	}
	walk(0)
	return out
}

func wantErr(t *testing.T, err error, fragment string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", fragment)
	}
	if !strings.Contains(err.Error(), fragment) {
		t.Fatalf("error %q does not contain %q", err, fragment)
	}
}

func TestDType(t *testing.T) {
	tests := []struct {
		d    DType
		name string
		size int
	}{
		{F32, "F32", 4},
		{BF16, "BF16", 2},
		{F16, "F16", 2},
		{I64, "I64", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.d.String() != tt.name || tt.d.Size() != tt.size || !tt.d.Valid() {
				t.Errorf("%v: String %q Size %d Valid %v, want %q %d true", tt.d, tt.d.String(), tt.d.Size(), tt.d.Valid(), tt.name, tt.size)
			}
			got, err := ParseDType(tt.name)
			if err != nil || got != tt.d {
				t.Errorf("ParseDType(%q) = %v, %v; want %v", tt.name, got, err, tt.d)
			}
		})
	}
	_, err := ParseDType("F64")
	wantErr(t, err, `unsupported dtype "F64"`)
	if DType(0).Valid() || DType(9).String() != "DType(9)" {
		t.Errorf("invalid dtypes: Valid(0) = %v, String(9) = %q", DType(0).Valid(), DType(9).String())
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		dt      DType
		shape   []int
		numel   int
		strides []int
		err     string
	}{
		{"scalar", F32, nil, 1, []int{}, ""},
		{"vector", BF16, []int{5}, 5, []int{1}, ""},
		{"batch_seq_dim", F16, []int{2, 3, 4}, 24, []int{12, 4, 1}, ""},
		{"empty_dim", I64, []int{3, 0, 2}, 0, []int{0, 2, 1}, ""},
		{"negative_dim", F32, []int{2, -1}, 0, nil, "dimension 1 of shape [2 -1] is negative"},
		{"overflow", F32, []int{1 << 40, 1 << 40}, 0, nil, "more than MaxInt elements"},
		{"invalid_dtype", DType(0), []int{1}, 0, nil, "invalid dtype"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := New(tt.dt, tt.shape...)
			if tt.err != "" {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if x.Numel() != tt.numel || !slices.Equal(x.Strides(), tt.strides) || !x.IsContiguous() || x.DType() != tt.dt {
				t.Errorf("New(%v, %v): numel %d strides %v contiguous %v dtype %v; want %d %v true %v",
					tt.dt, tt.shape, x.Numel(), x.Strides(), x.IsContiguous(), x.DType(), tt.numel, tt.strides, tt.dt)
			}
		})
	}
}

func TestFromSlices(t *testing.T) {
	x, err := FromF32([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if x.At(1, 0) != 4 || x.String() != "F32[2 3]" {
		t.Errorf("FromF32: At(1, 0) = %g, String %q; want 4, F32[2 3]", x.At(1, 0), x.String())
	}
	x.F32s()[5] = 60
	if x.At(1, 2) != 60 {
		t.Errorf("F32s does not share storage: At(1, 2) = %g, want 60", x.At(1, 2))
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"F32_short", second(FromF32(make([]float32, 5), 2, 3)), "tensor.FromF32: shape [2 3] needs 6 elements, data has 5"},
		{"BF16_long", second(FromBF16(nil, 1)), "tensor.FromBF16: shape [1] needs 1 elements, data has 0"},
		{"F16_negative", second(FromF16(nil, -1)), "tensor.FromF16: dimension 0 of shape [-1] is negative"},
		{"I64_short", second(FromI64(make([]int64, 3), 4)), "tensor.FromI64: shape [4] needs 4 elements, data has 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantErr(t, tt.err, tt.want) })
	}
}

func second(_ *Tensor, err error) error { return err }

func TestAccessorsPanicOnMisuse(t *testing.T) {
	x := arange(F32, 2, 3)
	tests := []struct {
		name string
		call func()
	}{
		{"F32s_of_BF16", func() { Must(New(BF16, 2)).F32s() }},
		{"BF16s_of_F32", func() { x.BF16s() }},
		{"F16s_of_I64", func() { Must(New(I64, 2)).F16s() }},
		{"I64s_of_F16", func() { Must(New(F16, 2)).I64s() }},
		{"F32s_of_transposed_view", func() { x.T().F32s() }},
		{"At_wrong_rank", func() { x.At(1) }},
		{"At_out_of_range", func() { x.At(2, 0) }},
		{"Set_negative_index", func() { x.Set(1, 0, -1) }},
		{"T_of_vector", func() { Must(New(F32, 3)).T() }},
		{"Dim_out_of_range", func() { x.Dim(2) }},
		{"Must_with_error", func() { Must(New(F32, -1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tt.name)
				}
			}()
			tt.call()
		})
	}
}

func TestAtSet(t *testing.T) {
	tests := []struct {
		dt   DType
		v    float64
		want float64
	}{
		{F32, 0.1, float64(float32(0.1))},
		{BF16, 1.00390625, 1},        // tie, to even
		{F16, 65520, math.Inf(1)},    // overflow threshold
		{F16, 1.00048828125, 1},      // tie, to even
		{I64, -7.9, -7},              // truncation
		{I64, 1 << 52, 1 << 52},      // exact
		{BF16, -3.140625, -3.140625}, // exact
	}
	for _, tt := range tests {
		t.Run(tt.dt.String(), func(t *testing.T) {
			x := Must(New(tt.dt, 2, 2))
			x.Set(tt.v, 1, 0)
			if got := x.At(1, 0); got != tt.want {
				t.Errorf("Set(%v) then At on %v = %v, want %v", tt.v, x, got, tt.want)
			}
			if x.At(0, 0) != 0 || x.At(1, 1) != 0 {
				t.Errorf("Set wrote outside (1, 0)")
			}
		})
	}
}

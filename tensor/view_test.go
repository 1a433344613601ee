package tensor

import (
	"slices"
	"testing"
)

// transposeRef returns the elements of a row-major (rows, cols) matrix laid
// out as its transpose.
func transposeRef(x []float64, rows, cols int) []float64 {
	out := make([]float64, len(x))
	for i := range rows {
		for j := range cols {
			out[j*rows+i] = x[i*cols+j]
		}
	}
	return out
}

func TestReshape(t *testing.T) {
	tests := []struct {
		name   string
		from   *Tensor
		shape  []int
		want   []int
		shared bool
		err    string
	}{
		{"flatten", arange(F32, 2, 3, 4), []int{24}, []int{24}, true, ""},
		{"split_heads", arange(BF16, 2, 6), []int{2, 2, 3}, []int{2, 2, 3}, true, ""},
		{"infer_last", arange(F16, 2, 3, 4), []int{6, -1}, []int{6, 4}, true, ""},
		{"infer_first", arange(I64, 2, 3, 4), []int{-1, 12}, []int{2, 12}, true, ""},
		{"to_scalar", arange(F32, 1, 1), nil, []int{}, true, ""},
		{"transposed_copies", arange(F32, 3, 4).T(), []int{12}, []int{12}, false, ""},
		{"wrong_numel", arange(F32, 2, 3), []int{4, 2}, nil, false, "6 elements, the new shape holds 8"},
		{"two_inferred", arange(F32, 2, 3), []int{-1, -1}, nil, false, "at most one -1"},
		{"negative", arange(F32, 2, 3), []int{-2, 3}, nil, false, "dimension 0 is -2"},
		{"indivisible", arange(F32, 2, 3), []int{4, -1}, nil, false, "do not divide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.from.Reshape(tt.shape...)
			if tt.err != "" {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Shape(), tt.want) || !r.IsContiguous() {
				t.Fatalf("Reshape(%v) of %v = %v (contiguous %v), want shape %v", tt.shape, tt.from, r, r.IsContiguous(), tt.want)
			}
			if got, want := elements(r), elements(tt.from); !slices.Equal(got, want) {
				t.Fatalf("Reshape changed the element order: %v, want %v", got, want)
			}
			idx := make([]int, r.Rank())
			r.Set(-1, idx...)
			if shared := tt.from.At(make([]int, tt.from.Rank())...) == -1; shared != tt.shared {
				t.Errorf("Reshape shares storage = %v, want %v", shared, tt.shared)
			}
		})
	}
}

func TestTranspose(t *testing.T) {
	x := arange(F32, 2, 3, 4)
	tests := []struct {
		name  string
		i, j  int
		shape []int
		err   string
	}{
		{"last_two", 1, 2, []int{2, 4, 3}, ""},
		{"negative_axes", -1, -2, []int{2, 4, 3}, ""},
		{"outer", 0, 2, []int{4, 3, 2}, ""},
		{"same_axis", 1, 1, []int{2, 3, 4}, ""},
		{"out_of_range", 0, 3, nil, "dimension 3 out of range for shape [2 3 4]"},
		{"negative_out_of_range", -4, 0, nil, "dimension -4 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := x.Transpose(tt.i, tt.j)
			if tt.err != "" {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Shape(), tt.shape) {
				t.Fatalf("Transpose(%d, %d) shape %v, want %v", tt.i, tt.j, v.Shape(), tt.shape)
			}
			a, b := (tt.i+3)%3, (tt.j+3)%3
			for n := range x.Numel() {
				idx := []int{n / 12, n / 4 % 3, n % 4}
				vidx := slices.Clone(idx)
				vidx[a], vidx[b] = idx[b], idx[a]
				if v.At(vidx...) != x.At(idx...) {
					t.Fatalf("view at %v = %g, source at %v = %g", vidx, v.At(vidx...), idx, x.At(idx...))
				}
			}
		})
	}
	tv := x.T()
	tv.Set(100, 1, 3, 2)
	if x.At(1, 2, 3) != 100 {
		t.Errorf("T is not a view: writing through it did not change the source")
	}
}

func TestNarrow(t *testing.T) {
	x := arange(F32, 4, 5)
	tests := []struct {
		name               string
		dim, start, length int
		want               []float64
		contiguous         bool
		err                string
	}{
		{"rows", 0, 1, 2, []float64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, true, ""},
		{"cols", 1, 3, 2, []float64{3, 4, 8, 9, 13, 14, 18, 19}, false, ""},
		{"last_col_negative_dim", -1, 4, 1, []float64{4, 9, 14, 19}, false, ""},
		{"empty", 0, 4, 0, nil, true, ""},
		{"past_end", 1, 4, 2, nil, false, "range [4, 6) outside dimension 1 of size 5"},
		{"negative_start", 0, -1, 1, nil, false, "range [-1, 0)"},
		{"bad_dim", 2, 0, 1, nil, false, "dimension 2 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := x.Narrow(tt.dim, tt.start, tt.length)
			if tt.err != "" {
				wantErr(t, err, tt.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := elements(v); !slices.Equal(got, tt.want) || v.IsContiguous() != tt.contiguous {
				t.Errorf("Narrow(%d, %d, %d) = %v (contiguous %v), want %v (%v)", tt.dim, tt.start, tt.length, got, v.IsContiguous(), tt.want, tt.contiguous)
			}
		})
	}
}

func TestContiguous(t *testing.T) {
	tests := []struct {
		name string
		view func() *Tensor
		want func(src []float64) []float64
	}{
		{"already_contiguous", func() *Tensor { return arange(F32, 3, 4) }, func(s []float64) []float64 { return s }},
		{"matrix_T_F32", func() *Tensor { return arange(F32, 3, 5).T() }, func(s []float64) []float64 { return transposeRef(s, 3, 5) }},
		{"matrix_T_BF16", func() *Tensor { return arange(BF16, 7, 2).T() }, func(s []float64) []float64 { return transposeRef(s, 7, 2) }},
		{"matrix_T_F16", func() *Tensor { return arange(F16, 1, 9).T() }, func(s []float64) []float64 { return s }},
		{"matrix_T_I64", func() *Tensor { return arange(I64, 4, 4).T() }, func(s []float64) []float64 { return transposeRef(s, 4, 4) }},
		{"batched_T", func() *Tensor { return arange(F32, 2, 3, 4).T() }, func(s []float64) []float64 {
			return append(transposeRef(s[:12], 3, 4), transposeRef(s[12:], 3, 4)...)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.view()
			src := make([]float64, v.Numel())
			for i := range src {
				src[i] = float64(i)
			}
			c := v.Contiguous()
			if !c.IsContiguous() || !slices.Equal(c.Shape(), v.Shape()) || c.DType() != v.DType() {
				t.Fatalf("Contiguous of %v = %v (contiguous %v)", v, c, c.IsContiguous())
			}
			got := make([]float64, 0, c.Numel())
			r := Must(c.Reshape(-1))
			for i := range r.Numel() {
				got = append(got, r.At(i))
			}
			if want := tt.want(src); !slices.Equal(got, want) {
				t.Errorf("storage of Contiguous(%v) = %v, want %v", v, got, want)
			}
			if v.IsContiguous() != (c == v) {
				t.Errorf("Contiguous copied a contiguous tensor, or returned a view itself")
			}
		})
	}
}

func TestIsContiguous(t *testing.T) {
	x := arange(F32, 3, 1, 4)
	tests := []struct {
		name string
		t    *Tensor
		want bool
	}{
		{"fresh", x, true},
		{"swap_with_unit_dim", Must(x.Transpose(0, 1)), true},
		{"swap_outer_inner", Must(x.Transpose(0, 2)), false},
		{"narrow_outer", Must(x.Narrow(0, 1, 2)), true},
		{"narrow_inner", Must(x.Narrow(2, 0, 2)), false},
		{"narrow_inner_single_row", Must(Must(x.Narrow(0, 1, 1)).Narrow(2, 1, 2)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.t.IsContiguous(); got != tt.want {
				t.Errorf("IsContiguous(%v, strides %v) = %v, want %v", tt.t, tt.t.Strides(), got, tt.want)
			}
		})
	}
}

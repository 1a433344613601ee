package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gatedRMSNormRef is the float64 twin of GatedRMSNorm.Forward (rms_norm_ref
// with z, group_size, no bias) on packed x and z (rows, dim).
func gatedRMSNormRef(x, z, w []float32, rows, gs int, eps float32, normBeforeGate bool) []float32 {
	dim := len(w)
	out := make([]float32, rows*dim)
	silu := func(v float32) float64 { return float64(v) / (1 + math.Exp(-float64(v))) }
	for r := 0; r < rows; r++ {
		u := make([]float64, dim)
		for i := range u {
			u[i] = float64(x[r*dim+i])
			if !normBeforeGate {
				u[i] *= silu(z[r*dim+i])
			}
		}
		for g0 := 0; g0 < dim; g0 += gs {
			var ss float64
			for _, v := range u[g0 : g0+gs] {
				ss += v * v
			}
			rs := 1 / math.Sqrt(ss/float64(gs)+float64(eps))
			for i := g0; i < g0+gs; i++ {
				v := u[i] * rs * float64(w[i])
				if normBeforeGate {
					v *= silu(z[r*dim+i])
				}
				out[r*dim+i] = float32(v)
			}
		}
	}
	return out
}

func TestGatedRMSNormMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name           string
		rows, dim, gs  int
		normBeforeGate bool
		pad            int // extra columns between rows of x and z
	}{
		{"rows1_dim1_gate_then_norm", 1, 1, 1, false, 0},
		{"rows5_dim128_one_group_gate_then_norm", 5, 128, 128, false, 0},
		{"rows4_dim96_groups4_gate_then_norm_strided", 4, 96, 24, false, 7},
		{"rows3_dim64_groups2_norm_then_gate", 3, 64, 32, true, 0},
		{"rows2_dim48_groups3_norm_then_gate_strided", 2, 48, 16, true, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, uint64(tc.dim)))
			ld := tc.dim + tc.pad
			xs, zs := randSlice(r, tc.rows*ld, 1), randSlice(r, tc.rows*ld, 2)
			w := randSlice(r, tc.dim, 1)
			x, z := make([]float32, tc.rows*tc.dim), make([]float32, tc.rows*tc.dim)
			for i := 0; i < tc.rows; i++ {
				copy(x[i*tc.dim:(i+1)*tc.dim], xs[i*ld:])
				copy(z[i*tc.dim:(i+1)*tc.dim], zs[i*ld:])
			}
			want := gatedRMSNormRef(x, z, w, tc.rows, tc.gs, 1e-5, tc.normBeforeGate)
			n, err := NewGatedRMSNorm(w, tc.gs, 1e-5, tc.normBeforeGate)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, tc.rows*tc.dim)
			n.Forward(got, make([]float32, tc.rows*tc.dim/tc.gs), xs, ld, zs, ld, tc.rows)
			requireClose(t, "out", got, want, 1e-6, 1e-5)
			if tc.pad == 0 { // in place: out aliases x
				n.Forward(x, nil, x, tc.dim, z, tc.dim, tc.rows)
				requireClose(t, "out_in_place", x, want, 1e-6, 1e-5)
			}
		})
	}
}

func TestNewGatedRMSNormRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		dim  int
		gs   int
		eps  float32
	}{
		{"empty_weight", 0, 1, 1e-5},
		{"group_does_not_divide", 10, 4, 1e-5},
		{"zero_group", 8, 0, 1e-5},
		{"zero_eps", 8, 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewGatedRMSNorm(make([]float32, tc.dim), tc.gs, tc.eps, false); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

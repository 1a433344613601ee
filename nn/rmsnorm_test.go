package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestRMSNormMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rows, dim int
		eps       float32
		scale     float32
	}{
		{"rows1_dim1", 1, 1, 1e-5, 1},
		{"rows7_dim64_eps1e-5", 7, 64, 1e-5, 1},
		{"rows3_dim768_tiny_inputs_eps_dominates", 3, 768, 1e-5, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(tc.dim)))
			x, w := randSlice(r, tc.rows*tc.dim, tc.scale), randSlice(r, tc.dim, 1)
			n, err := NewRMSNorm(w, tc.eps)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, len(x))
			wantRstd := make([]float32, tc.rows)
			for i := 0; i < tc.rows; i++ {
				var ss float64
				for j := 0; j < tc.dim; j++ {
					ss += float64(x[i*tc.dim+j]) * float64(x[i*tc.dim+j])
				}
				rs := 1 / math.Sqrt(ss/float64(tc.dim)+float64(tc.eps))
				wantRstd[i] = float32(rs)
				for j := 0; j < tc.dim; j++ {
					want[i*tc.dim+j] = float32(float64(x[i*tc.dim+j]) * rs * float64(w[j]))
				}
			}
			got, rstd := make([]float32, len(x)), make([]float32, tc.rows)
			n.Forward(got, rstd, x, tc.rows)
			requireClose(t, "out", got, want, 0, 1e-6)
			requireClose(t, "rstd", rstd, wantRstd, 0, 1e-6)
			n.Forward(x, nil, x, tc.rows) // in place
			requireClose(t, "in_place", x, want, 0, 1e-6)
		})
	}
	if _, err := NewRMSNorm([]float32{1}, 0); err == nil {
		t.Error("eps 0: no error")
	}
}

package nn

import (
	"math/rand/v2"
	"testing"
)

// conv1dRef is the readable twin of CausalConv1d.Forward on a whole sequence
// from zero state, in float64: out[b,t,c] = bias[c] + Σ_j w[c,j]·x[b,t−W+1+j,c].
func conv1dRef(cv CausalConv1d, x []float32, batch, seq int) []float32 {
	ch, w := cv.Channels, cv.Width
	out := make([]float32, batch*seq*ch)
	for b := 0; b < batch; b++ {
		for t := 0; t < seq; t++ {
			for c := 0; c < ch; c++ {
				var acc float64
				if cv.Bias != nil {
					acc = float64(cv.Bias[c])
				}
				for j := 0; j < w; j++ {
					if s := t - w + 1 + j; s >= 0 {
						acc += float64(cv.Weight[c*w+j]) * float64(x[(b*seq+s)*ch+c])
					}
				}
				out[(b*seq+t)*ch+c] = float32(acc)
			}
		}
	}
	return out
}

func TestCausalConv1dMatchesReferenceInChunks(t *testing.T) {
	for _, tc := range []struct {
		name                     string
		batch, seq, ch, w, chunk int
		bias                     bool
	}{
		{"b2_seq9_ch5_w4_whole_bias", 2, 9, 5, 4, 9, true},
		{"b2_seq9_ch5_w4_steps_of_1", 2, 9, 5, 4, 1, true},
		{"b3_seq11_ch7_w4_chunks_of_2_nobias", 3, 11, 7, 4, 2, false},
		{"b1_seq3_ch4_w4_shorter_than_kernel", 1, 3, 4, 4, 3, true},
		{"b2_seq10_ch6_w1_pointwise", 2, 10, 6, 1, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(2, uint64(tc.ch)))
			var bias []float32
			if tc.bias {
				bias = randSlice(r, tc.ch, 1)
			}
			cv, err := NewCausalConv1d(randSlice(r, tc.ch*tc.w, 1), bias, tc.ch, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, tc.batch*tc.seq*tc.ch, 1)
			want := conv1dRef(cv, x, tc.batch, tc.seq)
			// The input sits in the first ch columns of rows of width ld, as x does in in_proj's output.
			ld := 2*tc.ch + 1
			state := make([]float32, tc.batch*tc.ch*tc.w)
			got := make([]float32, len(want))
			for t0 := 0; t0 < tc.seq; t0 += tc.chunk {
				l := min(tc.chunk, tc.seq-t0)
				xs := make([]float32, tc.batch*l*ld)
				for b := 0; b < tc.batch; b++ {
					for i := 0; i < l; i++ {
						copy(xs[(b*l+i)*ld:], x[(b*tc.seq+t0+i)*tc.ch:(b*tc.seq+t0+i+1)*tc.ch])
					}
				}
				o := make([]float32, tc.batch*l*tc.ch)
				cv.Forward(o, tc.ch, xs, ld, tc.batch, l, state)
				for b := 0; b < tc.batch; b++ {
					copy(got[(b*tc.seq+t0)*tc.ch:(b*tc.seq+t0+l)*tc.ch], o[b*l*tc.ch:(b+1)*l*tc.ch])
				}
			}
			requireClose(t, "out", got, want, 1e-6, 1e-6)
			// The state holds the last W inputs, oldest first, zeros before the start.
			wantState := make([]float32, len(state))
			for b := 0; b < tc.batch; b++ {
				for c := 0; c < tc.ch; c++ {
					for i := 0; i < tc.w; i++ {
						if s := tc.seq - tc.w + i; s >= 0 {
							wantState[(b*tc.ch+c)*tc.w+i] = x[(b*tc.seq+s)*tc.ch+c]
						}
					}
				}
			}
			requireClose(t, "state", state, wantState, 0, 0)
		})
	}
}

func TestNewCausalConv1dRejectsBadShapes(t *testing.T) {
	for _, tc := range []struct {
		name          string
		nw, nb, ch, w int
	}{
		{"weight_too_short", 7, 2, 2, 4},
		{"bias_wrong_length", 8, 3, 2, 4},
		{"zero_width", 0, 2, 2, 0},
	} {
		if _, err := NewCausalConv1d(make([]float32, tc.nw), make([]float32, tc.nb), tc.ch, tc.w); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

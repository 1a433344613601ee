package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// ssdTwin64 is the SSD recurrence from a zero state in float64 on packed
// tensors: x (B, L, H, P); dt, da (B, L, H); b, c (B, L, G, N); D (H), (H·P)
// or nil. It returns y (B, L, H, P).
func ssdTwin64(x, dt, da, b, c, D []float64, d SSDDims) []float64 {
	L, H, P, G, N := d.SeqLen, d.Heads, d.HeadDim, d.Groups, d.DState
	y := make([]float64, d.Batch*L*H*P)
	state := make([]float64, H*P*N)
	for bi := range d.Batch {
		clear(state)
		for t := range L {
			row := bi*L + t
			for h := range H {
				g := h / (H / G)
				decay := math.Exp(da[row*H+h])
				for p := range P {
					xp := x[(row*H+h)*P+p]
					var acc float64
					for n := range N {
						i := (h*P+p)*N + n
						state[i] = decay*state[i] + dt[row*H+h]*xp*b[(row*G+g)*N+n]
						acc += state[i] * c[(row*G+g)*N+n]
					}
					switch len(D) {
					case H:
						acc += D[h] * xp
					case H * P:
						acc += D[h*P+p] * xp
					}
					y[(row*H+h)*P+p] = acc
				}
			}
		}
	}
	return y
}

func TestSSDGradient(t *testing.T) {
	cases := []struct {
		name string
		dims SSDDims
		dLen int // 0: no D; Heads or Heads·HeadDim
	}{
		{"b1_L1_h1_p1_g1_n1_noD", SSDDims{Batch: 1, SeqLen: 1, Heads: 1, HeadDim: 1, Groups: 1, DState: 1}, 0},
		{"b2_L7_h2_p3_g1_n4_D_per_head", SSDDims{Batch: 2, SeqLen: 7, Heads: 2, HeadDim: 3, Groups: 1, DState: 4}, 2},
		{"b1_L10_h4_p2_g2_n3_D_per_channel", SSDDims{Batch: 1, SeqLen: 10, Heads: 4, HeadDim: 2, Groups: 2, DState: 3}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := c.dims
			r := rand.New(rand.NewPCG(43, uint64(d.SeqLen*d.Heads)))
			rows, HP, GN := d.Batch*d.SeqLen, d.Heads*d.HeadDim, d.Groups*d.DState
			// x, B, C are column blocks of one xBC matrix, as after Mamba2's conv.
			ld := HP + 2*GN
			xbc := randSlice(r, rows*ld, 1)
			A := randSlice(r, d.Heads, 1)
			for i, v := range A {
				A[i] = -Exp32(0.5 * v)
			}
			dt, da := ssdSoftplusDt(randSlice(r, rows*d.Heads, 1), randSlice(r, d.Heads, 0.5), A, rows)
			in := SSDInputs{X: xbc, Dt: dt, DA: da, B: xbc[HP:], C: xbc[HP+GN:], XStride: ld, BCStride: ld}
			var dD0 []float32
			if c.dLen > 0 {
				in.D = randSlice(r, c.dLen, 1)
				dD0 = randSlice(r, c.dLen, 1)
			}
			y, _ := ssdRun(in, d, 3, nil)
			for _, impl := range []struct {
				name string
				run  func(g SSDGrads)
			}{
				{"recurrent", func(g SSDGrads) { SSDRecurrentBackward(g, in, d) }},
				{"chunked3", func(g SSDGrads) { SSDChunkedBackward(g, in, d, 3) }},
				{"chunked16", func(g SSDGrads) { SSDChunkedBackward(g, in, d, 16) }},
			} {
				t.Run(impl.name, func(t *testing.T) {
					w, dy := gradPoint(rand.New(rand.NewPCG(47, 1)), len(y))
					dxbc := randSlice(r, rows*ld, 1) // garbage the backward must overwrite
					g := SSDGrads{DY: dy, DX: dxbc, DDt: randSlice(r, len(dt), 1), DDA: randSlice(r, len(da), 1),
						DB: dxbc[HP:], DC: dxbc[HP+GN:], DD: slices.Clone(dD0)}
					impl.run(g)
					x64, B64, C64 := to64(packed(xbc, rows, HP, ld)), to64(packed(xbc[HP:], rows, GN, ld)), to64(packed(xbc[HP+GN:], rows, GN, ld))
					dt64, da64 := to64(dt), to64(da)
					tensors := []fdTensor{
						{"x", x64, packed(dxbc, rows, HP, ld)}, {"dt", dt64, g.DDt}, {"dA", da64, g.DDA},
						{"B", B64, packed(dxbc[HP:], rows, GN, ld)}, {"C", C64, packed(dxbc[HP+GN:], rows, GN, ld)},
					}
					var D64 []float64
					if c.dLen > 0 {
						D64 = to64(in.D)
						tensors = append(tensors, fdTensor{"D", D64, accumulated(g.DD, dD0)})
					}
					checkGradCase(t, gradCase{
						twin:      func() []float64 { return ssdTwin64(x64, dt64, da64, B64, C64, D64, d) },
						forward32: y, w: w, tensors: tensors,
					})
				})
			}
		})
	}
}

// TestSSDChunkedBackwardMatchesRecurrent holds the chunked backward, on a
// shape large enough to split heads across workers, to the recurrent twin.
func TestSSDChunkedBackwardMatchesRecurrent(t *testing.T) {
	d := SSDDims{Batch: 2, SeqLen: 64, Heads: 8, HeadDim: 16, Groups: 2, DState: 16}
	r := rand.New(rand.NewPCG(53, 1))
	rows, HP, GN := d.Batch*d.SeqLen, d.Heads*d.HeadDim, d.Groups*d.DState
	A := randSlice(r, d.Heads, 1)
	for i, v := range A {
		A[i] = -Exp32(v)
	}
	dt, da := ssdSoftplusDt(randSlice(r, rows*d.Heads, 1), randSlice(r, d.Heads, 0.5), A, rows)
	in := SSDInputs{X: randSlice(r, rows*HP, 1), Dt: dt, DA: da, B: randSlice(r, rows*GN, 1), C: randSlice(r, rows*GN, 1),
		D: randSlice(r, d.Heads, 1)}
	dy := randSlice(r, rows*HP, 1)
	grads := func() SSDGrads {
		return SSDGrads{DY: dy, DX: make([]float32, rows*HP), DDt: make([]float32, rows*d.Heads), DDA: make([]float32, rows*d.Heads),
			DB: make([]float32, rows*GN), DC: make([]float32, rows*GN), DD: make([]float32, d.Heads)}
	}
	got, want := grads(), grads()
	SSDChunkedBackward(got, in, d, 16)
	SSDRecurrentBackward(want, in, d)
	for _, x := range []struct {
		name      string
		got, want []float32
	}{
		{"dx", got.DX, want.DX}, {"ddt", got.DDt, want.DDt}, {"ddA", got.DDA, want.DDA},
		{"dB", got.DB, want.DB}, {"dC", got.DC, want.DC}, {"dD", got.DD, want.DD},
	} {
		// Sums of up to SeqLen·HeadDim·DState float32 terms in different orders.
		requireClose(t, x.name, x.got, x.want, 1e-4, 1e-4)
	}
}

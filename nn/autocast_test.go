package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/kernel"
)

// unitRoundoff is u = 2^−p of a format with p significant bits: one
// round-to-nearest changes a value by at most u relative to it.
func unitRoundoff(a Autocast) float64 {
	switch a {
	case AutocastBF16:
		return math.Ldexp(1, -8)
	case AutocastF16:
		return math.Ldexp(1, -11)
	}
	return math.Ldexp(1, -24)
}

// gemmRef is the autocast product in float64 from the rounded operands,
// before its final rounding, ref = alpha·op(Ã)·op(B̃) + beta·c0, and the
// float32 accumulation's error bound for each element, k·2⁻²³·Σ|terms|
// (Higham, Accuracy and Stability, eq. 3.5, doubled for the kernels'
// blocked sums).
type gemmRef struct{ ref, accErr []float64 }

func roundedGemmRef(a Autocast, transA, transB bool, m, n, k int, alpha float32, A []float32, lda int, B []float32, ldb int, beta float32, c0 []float32, ldc int) gemmRef {
	at := func(i, p int) float64 {
		if transA {
			return float64(a.RoundValue(A[p*lda+i]))
		}
		return float64(a.RoundValue(A[i*lda+p]))
	}
	bt := func(p, j int) float64 {
		if transB {
			return float64(a.RoundValue(B[j*ldb+p]))
		}
		return float64(a.RoundValue(B[p*ldb+j]))
	}
	g := gemmRef{ref: make([]float64, m*n), accErr: make([]float64, m*n)}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, mag float64
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
				mag += math.Abs(at(i, p) * bt(p, j))
			}
			c := float64(beta) * float64(c0[i*ldc+j])
			g.ref[i*n+j] = float64(alpha)*s + c
			g.accErr[i*n+j] = float64(k+1) * math.Ldexp(1, -23) * (math.Abs(float64(alpha))*mag + math.Abs(c))
		}
	}
	return g
}

// checkRoundedOnce checks that got (m×n, leading dimension ldc) is the
// single rounding of g.ref: every value is a half value, within u·|ref| of
// ref (one rounding), except where float32 accumulation moved a sum across
// a rounding boundary — a flip to a neighbouring half value, at most
// 2u·|ref| plus the accumulation bound away, allowed in at most 1 % of the
// elements.
func checkRoundedOnce(t *testing.T, a Autocast, got []float32, ldc int, g gemmRef, m, n int) {
	t.Helper()
	u := unitRoundoff(a)
	flips := 0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v, r := got[i*ldc+j], g.ref[i*n+j]
			if a.RoundValue(v) != v {
				t.Fatalf("C[%d,%d] = %v is not a %v value", i, j, v, a)
			}
			d := math.Abs(float64(v) - r)
			if d <= u*math.Abs(r)+1e-30 {
				continue
			}
			flips++
			if d > 2*u*math.Abs(r)+2*g.accErr[i*n+j] {
				t.Fatalf("C[%d,%d] = %v, want the rounding of %v (off by %.3g, u·|ref| = %.3g)", i, j, v, r, d, u*math.Abs(r))
			}
		}
	}
	if flips*100 > m*n {
		t.Fatalf("%d of %d elements are not the nearest %v value", flips, m*n, a)
	}
}

// TestAutocastGemm checks Autocast.Gemm against the float64 product of the
// rounded operands, rounded once, for every transpose, with padded leading
// dimensions, beta 0 and 1, in shapes that take both the small-matrix and
// the blocked kernels; and that AutocastOff is kernel.Sgemm bit for bit.
func TestAutocastGemm(t *testing.T) {
	shapes := []struct{ m, n, k int }{{3, 5, 7}, {17, 40, 33}, {64, 96, 48}}
	for _, a := range []Autocast{AutocastOff, AutocastBF16, AutocastF16} {
		for _, sh := range shapes {
			for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
				for _, beta := range []float32{0, 1} {
					name := a.String() + "/" + shapeName(sh.m, sh.n, sh.k, tr[0], tr[1], beta)
					t.Run(name, func(t *testing.T) {
						r := rand.New(rand.NewPCG(uint64(sh.m), uint64(sh.k)))
						rowsA, colsA := sh.m, sh.k
						if tr[0] {
							rowsA, colsA = sh.k, sh.m
						}
						rowsB, colsB := sh.k, sh.n
						if tr[1] {
							rowsB, colsB = sh.n, sh.k
						}
						lda, ldb, ldc := colsA+3, colsB+1, sh.n+2
						A, B := randSlice(r, rowsA*lda, 2), randSlice(r, rowsB*ldb, 2)
						c0 := randSlice(r, sh.m*ldc, 1)
						A0, B0 := slices.Clone(A), slices.Clone(B)
						got := slices.Clone(c0)
						a.Gemm(tr[0], tr[1], sh.m, sh.n, sh.k, 0.5, A, lda, B, ldb, beta, got, ldc)
						if !slices.Equal(A, A0) || !slices.Equal(B, B0) {
							t.Fatal("Gemm changed its operands")
						}
						if a == AutocastOff {
							want := slices.Clone(c0)
							kernel.Sgemm(tr[0], tr[1], sh.m, sh.n, sh.k, 0.5, A, lda, B, ldb, beta, want, ldc)
							if !slices.Equal(got, want) {
								t.Fatal("AutocastOff.Gemm differs from kernel.Sgemm")
							}
							return
						}
						ref := roundedGemmRef(a, tr[0], tr[1], sh.m, sh.n, sh.k, 0.5, A, lda, B, ldb, beta, c0, ldc)
						checkRoundedOnce(t, a, got, ldc, ref, sh.m, sh.n)
						for i := 0; i < sh.m; i++ { // the padding between rows is untouched
							if !slices.Equal(got[i*ldc+sh.n:(i+1)*ldc], c0[i*ldc+sh.n:(i+1)*ldc]) {
								t.Fatalf("row %d's padding was written", i)
							}
						}
					})
				}
			}
		}
	}
}

func shapeName(m, n, k int, ta, tb bool, beta float32) string {
	s := "m" + itoa(m) + "n" + itoa(n) + "k" + itoa(k)
	if ta {
		s += "_tA"
	}
	if tb {
		s += "_tB"
	}
	if beta != 0 {
		s += "_beta1"
	}
	return s
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// TestAutocastRound checks rounding to nearest even, ties and f16 overflow.
func TestAutocastRound(t *testing.T) {
	cases := []struct {
		a      Autocast
		in     float32
		want   float32
		reason string
	}{
		{AutocastOff, 1.0000001, 1.0000001, "off keeps float32"},
		{AutocastBF16, 1 + 1.0/256, 1, "tie to even (down)"},
		{AutocastBF16, 1 + 3.0/256, 1 + 4.0/256, "tie to even (up)"},
		{AutocastBF16, 65520, 65536, "bf16 keeps float32's range"},
		{AutocastBF16, 3.3895314e38, 3.3895314e38, "the largest bf16"},
		{AutocastF16, 1 + 1.0/2048, 1, "tie to even"},
		{AutocastF16, 65504, 65504, "the largest f16"},
		{AutocastF16, 65520, float32(math.Inf(1)), "past 65504 rounds to +Inf"},
		{AutocastF16, -1e6, float32(math.Inf(-1)), "overflow keeps the sign"},
	}
	for _, c := range cases {
		x := []float32{c.in}
		c.a.Round(x)
		if x[0] != c.want || c.a.RoundValue(c.in) != c.want {
			t.Errorf("%v %s: %v → Round %v, RoundValue %v; want %v", c.a, c.reason, c.in, x[0], c.a.RoundValue(c.in), c.want)
		}
	}
}

// TestAutocastPackRoundTrip checks that Pack and Unpack carry half values
// (specials, subnormals and the extremes included) bit for bit, and that
// Pack stores the format's encoding: 1.0 is 0x3f80 in bf16, 0x3c00 in f16.
func TestAutocastPackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		a   Autocast
		one uint16
	}{{AutocastBF16, 0x3f80}, {AutocastF16, 0x3c00}} {
		x := []float32{1, -0.0, float32(math.Inf(1)), float32(math.Inf(-1)), 65504, 6e-8, -3.3895314e38}
		for range 1000 {
			x = append(x, float32(r.NormFloat64()*math.Pow(2, float64(r.IntN(40)-20))))
		}
		c.a.Round(x)
		packed := make([]uint16, len(x))
		c.a.Pack(packed, x)
		if packed[0] != c.one {
			t.Errorf("%v: 1.0 packs to %#04x, want %#04x", c.a, packed[0], c.one)
		}
		back := make([]float32, len(x))
		c.a.Unpack(back, packed)
		for i := range x {
			if math.Float32bits(back[i]) != math.Float32bits(x[i]) {
				t.Fatalf("%v: value %d: %v → %#04x → %v", c.a, i, x[i], packed[i], back[i])
			}
		}
	}
}

// TestLinearAutocast checks a Linear under autocast against the float64
// oracle of the rounded operands: y = round(x̃·W̃ᵀ + b̃), dx = round(d̃y·W̃),
// dW += round(d̃yᵀ·x̃), db += round(Σ d̃y); and that dW nil skips the weight
// gradient.
func TestLinearAutocast(t *testing.T) {
	for _, a := range []Autocast{AutocastBF16, AutocastF16} {
		t.Run(a.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(a)))
			rows, in, out := 9, 40, 36
			x, w, b, dy := randSlice(r, rows*in, 1), randSlice(r, out*in, 0.3), randSlice(r, out, 0.5), randSlice(r, rows*out, 1)
			l := Linear{Weight: w, Bias: b, In: in, Out: out, Cast: a}
			y := make([]float32, rows*out)
			l.Forward(y, x, rows)
			bias := make([]float32, rows*out)
			for i := 0; i < rows; i++ {
				copy(bias[i*out:], b)
			}
			checkRoundedOnce(t, a, y, out, roundedGemmRef(a, false, true, rows, out, in, 1, x, in, w, in, 1, roundedAll(a, bias), out), rows, out)

			dx, dW, db := make([]float32, rows*in), make([]float32, out*in), make([]float32, out)
			l.Backward(dx, dW, db, dy, x, rows)
			checkRoundedOnce(t, a, dx, in, roundedGemmRef(a, false, false, rows, in, out, 1, dy, out, w, in, 0, dx, in), rows, in)
			checkRoundedOnce(t, a, dW, in, roundedGemmRef(a, true, false, out, in, rows, 1, dy, out, x, in, 0, dW, in), out, in)
			sum := gemmRef{ref: make([]float64, out), accErr: make([]float64, out)}
			for i := 0; i < rows; i++ {
				for o := 0; o < out; o++ {
					v := float64(a.RoundValue(dy[i*out+o]))
					sum.ref[o] += v
					sum.accErr[o] += float64(rows) * math.Ldexp(1, -23) * math.Abs(v)
				}
			}
			checkRoundedOnce(t, a, db, out, sum, 1, out)

			dx2 := make([]float32, rows*in)
			l.Backward(dx2, nil, nil, dy, x, rows)
			if !slices.Equal(dx, dx2) {
				t.Fatal("dx changed when the weight is frozen (dW nil)")
			}
		})
	}
}

func roundedAll(a Autocast, x []float32) []float32 {
	y := slices.Clone(x)
	a.Round(y)
	return y
}

// TestLoRADropoutGradients checks a training LoRA with dropout through the
// frozen Linear's Backward: Forward number 1's mask is regenerated by
// Backward, so the gradients of A, B and x are those of the float64 twin
// with that fixed mask, by finite differences.
func TestLoRADropoutGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	rows, in, out, rank := 4, 7, 5, 3
	const p, s = 0.3, 1.5
	x, w, a, bm := randSlice(r, rows*in, 1), randSlice(r, out*in, 0.5), randSlice(r, rank*in, 0.5), randSlice(r, out*rank, 0.5)
	lora, err := NewLoRA(a, bm, rank, in, out, s)
	if err != nil {
		t.Fatal(err)
	}
	lora.Train, lora.Dropout, lora.Seed = true, p, 99
	lora.GradA, lora.GradB = make([]float32, rank*in), make([]float32, out*rank)
	lin := Linear{Weight: w, In: in, Out: out, LoRA: lora}
	y := make([]float32, rows*out)
	lin.Forward(y, x, rows)
	if lora.Forwards != 1 {
		t.Fatalf("Forwards = %d after one training Forward", lora.Forwards)
	}
	keep := make([]float64, rows*in)
	dropped := 0
	for i := range keep {
		if lora.kept(i) {
			keep[i] = 1 / (1 - p)
		} else {
			dropped++
		}
	}
	if dropped == 0 || dropped == len(keep) {
		t.Fatalf("dropout dropped %d of %d: the case tests nothing", dropped, len(keep))
	}
	wts, dy := gradPoint(r, len(y))
	dx := make([]float32, len(x))
	lin.Backward(dx, nil, nil, dy, x, rows)
	x64, a64, b64 := to64(x), to64(a), to64(bm)
	checkGradCase(t, gradCase{
		twin: func() []float64 {
			xm := make([]float64, len(x64))
			for i, v := range x64 {
				xm[i] = v * keep[i]
			}
			// y = x·Wᵀ + s·(m⊙x)·Aᵀ·Bᵀ: the base layer sees x undropped
			y := loraLinearTwin(xm, make([]float64, len(w)), nil, a64, b64, s, rows, in, out, rank)
			base := loraLinearTwin(x64, to64(w), nil, a64, b64, 0, rows, in, out, rank)
			for i := range y {
				y[i] += base[i]
			}
			return y
		},
		forward32: y, w: wts,
		tensors: []fdTensor{{"x", x64, dx}, {"A", a64, lora.GradA}, {"B", b64, lora.GradB}},
	})
}

// TestLoRADropoutMask checks the mask's rate and that it changes from one
// training Forward to the next, and that inference applies none.
func TestLoRADropoutMask(t *testing.T) {
	l := &LoRA{Dropout: 0.25, Seed: 7, Train: true, Forwards: 1}
	const n = 200000
	first := make([]bool, n)
	kept := 0
	for i := range first {
		first[i] = l.kept(i)
		if first[i] {
			kept++
		}
	}
	// Binomial(n, 0.75): σ = √(n·0.75·0.25) ≈ 194; allow 5σ.
	if d := math.Abs(float64(kept) - 0.75*n); d > 5*math.Sqrt(n*0.75*0.25) {
		t.Errorf("kept %d of %d, want about %d", kept, n, int(0.75*n))
	}
	l.Forwards = 2
	same := 0
	for i := range first {
		if l.kept(i) == first[i] {
			same++
		}
	}
	if same > n*7/10 { // independent masks agree on 0.75²+0.25² = 62.5 %
		t.Errorf("consecutive masks agree on %d of %d elements", same, n)
	}
	l.Train = false
	if l.dropping() {
		t.Error("dropout applies outside training")
	}
}

// TestPackedStoreLoad checks that Packed carries several slices of half
// values through Store and Load bit for bit, regrowing for longer slices,
// and refuses a Load with another number of slices.
func TestPackedStoreLoad(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var p Packed
	for _, n := range []int{3, 1000} {
		xs := [][]float32{make([]float32, n), make([]float32, 2*n)}
		for _, x := range xs {
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			AutocastBF16.Round(x)
		}
		p.Store(AutocastBF16, xs...)
		back := [][]float32{make([]float32, n), make([]float32, 2*n)}
		p.Load(back...)
		for k := range xs {
			if !slices.Equal(back[k], xs[k]) {
				t.Fatalf("n=%d: slice %d does not come back", n, k)
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Load of one slice after storing two did not panic")
		}
	}()
	p.Load(make([]float32, 3))
}

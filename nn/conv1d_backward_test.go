package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// conv1dTwin is the causal depthwise conv from a zero past in float64, on
// packed (batch, seq, ch) rows: out[b,t,c] = bias[c] + Σ_j w[c,j]·x[b,t−W+1+j,c].
func conv1dTwin(x, w, bias []float64, batch, seq, ch, width int) []float64 {
	out := make([]float64, batch*seq*ch)
	for b := range batch {
		for t := range seq {
			for c := range ch {
				var acc float64
				if bias != nil {
					acc = bias[c]
				}
				for j := range width {
					if s := t - width + 1 + j; s >= 0 {
						acc += w[c*width+j] * x[(b*seq+s)*ch+c]
					}
				}
				out[(b*seq+t)*ch+c] = acc
			}
		}
	}
	return out
}

// strided copies packed rows of width ch into rows of width ld (extra columns random).
func strided(r *rand.Rand, x []float32, rows, ch, ld int) []float32 {
	y := randSlice(r, rows*ld, 1)
	for i := range rows {
		copy(y[i*ld:i*ld+ch], x[i*ch:(i+1)*ch])
	}
	return y
}

// packed extracts the first ch columns of rows of width ld.
func packed(x []float32, rows, ch, ld int) []float32 {
	y := make([]float32, 0, rows*ch)
	for i := range rows {
		y = append(y, x[i*ld:i*ld+ch]...)
	}
	return y
}

func TestCausalConv1dGradient(t *testing.T) {
	cases := []struct {
		name                  string
		batch, seq, ch, width int
		bias, strided         bool
	}{
		{"b1_seq1_ch1_w4_bias", 1, 1, 1, 4, true, false},
		{"b2_seq7_ch3_w4_bias_strided", 2, 7, 3, 4, true, true},
		{"b1_seq3_ch2_w4_shorter_than_kernel", 1, 3, 2, 4, false, false},
		{"b2_seq5_ch4_w1_pointwise_strided", 2, 5, 4, 1, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(23, uint64(c.seq*c.ch)))
			var bias []float32
			if c.bias {
				bias = randSlice(r, c.ch, 1)
			}
			cv, err := NewCausalConv1d(randSlice(r, c.ch*c.width, 1), bias, c.ch, c.width)
			if err != nil {
				t.Fatal(err)
			}
			rows := c.batch * c.seq
			ld := c.ch
			if c.strided {
				ld = 2*c.ch + 1
			}
			x := randSlice(r, rows*c.ch, 1)
			out := make([]float32, rows*ld)
			cv.Forward(out, ld, strided(r, x, rows, c.ch, ld), ld, c.batch, c.seq, nil)
			w, dy := gradPoint(r, rows*c.ch)
			dx := randSlice(r, rows*ld, 1)
			dW0, db0 := randSlice(r, len(cv.Weight), 1), randSlice(r, c.ch, 1)
			dW, db := slices.Clone(dW0), slices.Clone(db0)
			if !c.bias {
				db = nil
			}
			dxBefore := slices.Clone(dx)
			cv.Backward(dx, ld, dW, db, strided(r, dy, rows, c.ch, ld), ld, strided(r, x, rows, c.ch, ld), ld, c.batch, c.seq)
			for i := range rows { // columns outside the block (the z half of in_proj's gradient) are left alone
				requireClose(t, "dx outside its columns", dx[i*ld+c.ch:(i+1)*ld], dxBefore[i*ld+c.ch:(i+1)*ld], 0, 0)
			}
			x64, w64 := to64(x), to64(cv.Weight)
			tensors := []fdTensor{{"x", x64, packed(dx, rows, c.ch, ld)}, {"w", w64, accumulated(dW, dW0)}}
			var b64 []float64
			if c.bias {
				b64 = to64(bias)
				tensors = append(tensors, fdTensor{"bias", b64, accumulated(db, db0)})
			}
			checkGradCase(t, gradCase{
				twin:      func() []float64 { return conv1dTwin(x64, w64, b64, c.batch, c.seq, c.ch, c.width) },
				forward32: packed(out, rows, c.ch, ld), w: w, tensors: tensors,
			})
		})
	}
}

// TestCausalConv1dMatchesGoTwin checks that Forward and Backward (the C
// kernels in the cgo build, split over cores when large) equal their Go
// twins bit for bit: channel counts off the vector width, sequences shorter
// than the kernel, row strides past the channels, with and without bias, and
// weight gradients that already hold values.
func TestCausalConv1dMatchesGoTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	cases := []struct {
		batch, seq, ch, w, pad int
		bias                   bool
	}{
		{1, 1, 3, 4, 0, true},
		{2, 3, 17, 4, 5, false},
		{2, 9, 40, 4, 0, true},
		{3, 50, 1536, 4, 1536, true}, // large enough to split over cores: Mamba's conv column block
		{1, 7, 33, 2, 1, false},
	}
	for _, c := range cases {
		ld := c.ch + c.pad
		rows := c.batch * c.seq
		var bias []float32
		if c.bias {
			bias = fill(c.ch)
		}
		cv, err := NewCausalConv1d(fill(c.ch*c.w), bias, c.ch, c.w)
		if err != nil {
			t.Fatal(err)
		}
		x, dout := fill(rows*ld), fill(rows*ld)
		out, outGo := make([]float32, rows*ld), make([]float32, rows*ld)
		cv.Forward(out, ld, x, ld, c.batch, c.seq, nil)
		cv.forwardGo(outGo, ld, x, ld, c.batch, c.seq, nil)
		dW0 := fill(c.ch * c.w)
		dx, dxGo := make([]float32, rows*ld), make([]float32, rows*ld)
		dW, dWGo := slices.Clone(dW0), slices.Clone(dW0)
		var dB, dBGo []float32
		if c.bias {
			dB0 := fill(c.ch)
			dB, dBGo = slices.Clone(dB0), slices.Clone(dB0)
		}
		cv.Backward(dx, ld, dW, dB, dout, ld, x, ld, c.batch, c.seq)
		cv.backwardGo(dxGo, ld, dWGo, dBGo, dout, ld, x, ld, c.batch, c.seq)
		for name, pair := range map[string][2][]float32{"out": {out, outGo}, "dx": {dx, dxGo}, "dW": {dW, dWGo}, "dBias": {dB, dBGo}} {
			for i := range pair[0] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("%+v: %s[%d] = %v, Go twin %v", c, name, i, pair[0][i], pair[1][i])
				}
			}
		}
	}
}

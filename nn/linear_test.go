package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// closeReport compares got with want element-wise and returns the largest
// absolute and relative differences and the first index where
// |got-want| > atol + rtol·|want| (-1 if none).
func closeReport(got, want []float32, atol, rtol float64) (maxAbs, maxRel float64, firstBad int) {
	firstBad = -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
		if w := math.Abs(float64(want[i])); w > 0 {
			maxRel = max(maxRel, d/w)
		}
		if firstBad < 0 && d > atol+rtol*math.Abs(float64(want[i])) {
			firstBad = i
		}
	}
	return maxAbs, maxRel, firstBad
}

// requireClose fails the test with max-abs/max-rel and the first bad index
// when got and want differ by more than atol + rtol·|want|.
func requireClose(t *testing.T, name string, got, want []float32, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	maxAbs, maxRel, bad := closeReport(got, want, atol, rtol)
	if bad >= 0 {
		t.Errorf("%s: max abs %.3g, max rel %.3g; first bad index %d: got %g want %g (atol %g rtol %g)",
			name, maxAbs, maxRel, bad, got[bad], want[bad], atol, rtol)
	}
}

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * float32(r.NormFloat64())
	}
	return s
}

// linearRef is the readable twin of Linear.Forward: y[r,o] = Σ_i x[r,i]·W[o,i] + b[o] in float64.
func linearRef(l Linear, x []float32, rows int) []float32 {
	y := make([]float32, rows*l.Out)
	for r := 0; r < rows; r++ {
		for o := 0; o < l.Out; o++ {
			var s float64
			if l.Bias != nil {
				s = float64(l.Bias[o])
			}
			for i := 0; i < l.In; i++ {
				s += float64(x[r*l.In+i]) * float64(l.Weight[o*l.In+i])
			}
			y[r*l.Out+o] = float32(s)
		}
	}
	return y
}

func TestLinearForwardMatchesReference(t *testing.T) {
	cases := []struct {
		name          string
		rows, in, out int
		bias          bool
	}{
		{"rows1_in8_out3_bias", 1, 8, 3, true},
		{"rows5_in16_out32_nobias", 5, 16, 32, false},
		{"rows7_in64_out192_bias", 7, 64, 192, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(c.rows*1000+c.out)))
			var bias []float32
			if c.bias {
				bias = randSlice(r, c.out, 1)
			}
			l, err := NewLinear(randSlice(r, c.out*c.in, 0.5), bias, c.in, c.out)
			if err != nil {
				t.Fatal(err)
			}
			x := randSlice(r, c.rows*c.in, 1)
			y := randSlice(r, c.rows*c.out, 100) // garbage that Forward must overwrite
			l.Forward(y, x, c.rows)
			requireClose(t, "y", y, linearRef(l, x, c.rows), 1e-5, 1e-5)
		})
	}
}

func TestNewLinearRejectsBadShapes(t *testing.T) {
	cases := []struct {
		name    string
		w, b    int
		in, out int
	}{
		{"weight_too_short", 5, 0, 2, 3},
		{"bias_wrong_len", 6, 2, 2, 3},
		{"zero_in", 0, 0, 0, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b []float32
			if c.b > 0 {
				b = make([]float32, c.b)
			}
			if _, err := NewLinear(make([]float32, c.w), b, c.in, c.out); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// BenchmarkLinearForward runs pythia-160m-shaped layers (query_key_value,
// dense_h_to_4h, the head) over 512 rows and over 1 row (decode).
func BenchmarkLinearForward(b *testing.B) {
	for _, c := range []struct {
		name          string
		rows, in, out int
	}{
		{"qkv_512x768x2304", 512, 768, 2304},
		{"h_to_4h_512x768x3072", 512, 768, 3072},
		{"h_to_4h_1x768x3072", 1, 768, 3072},
		{"head_1x768x50304", 1, 768, 50304},
	} {
		b.Run(c.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 5))
			l, err := NewLinear(randSlice(r, c.out*c.in, 0.02), randSlice(r, c.out, 0.02), c.in, c.out)
			if err != nil {
				b.Fatal(err)
			}
			x, y := randSlice(r, c.rows*c.in, 1), make([]float32, c.rows*c.out)
			for b.Loop() {
				l.Forward(y, x, c.rows)
			}
			b.ReportMetric(2*float64(c.rows*c.in*c.out)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

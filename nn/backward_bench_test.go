package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkSelectiveScanBackward times one layer's scan backward at
// mamba-130m's shape (d_inner 1536, d_state 16), in state updates per second
// (each is a forward replay and a reverse step).
func BenchmarkSelectiveScanBackward(b *testing.B) {
	for _, sh := range []struct{ batch, seq int }{{1, 512}, {4, 512}} {
		b.Run(fmt.Sprintf("mamba130m_%dx%d", sh.batch, sh.seq), func(b *testing.B) {
			const d, n = 1536, 16
			r := rand.New(rand.NewPCG(5, 7))
			rows := sh.batch * sh.seq
			A := randSlice(r, d*n, 1)
			for i := range A {
				A[i] = -float32(math.Exp(float64(A[i])))
			}
			s := &SelectiveScan{A: A, D: randSlice(r, d, 1), DeltaBias: randSlice(r, d, 1), DeltaSoftplus: true, DInner: d, DState: n}
			a := &ScanArgs{Batch: sh.batch, Seq: sh.seq, U: randSlice(r, rows*d, 1), Delta: randSlice(r, rows*d, 1),
				B: randSlice(r, rows*n, 1), C: randSlice(r, rows*n, 1), Z: randSlice(r, rows*d, 1), Out: make([]float32, rows*d),
				LdU: d, LdDelta: d, LdB: n, LdC: n, LdZ: d, LdOut: d}
			g := &ScanGrads{DOut: randSlice(r, rows*d, 1), DU: make([]float32, rows*d), DDelta: make([]float32, rows*d),
				DB: make([]float32, rows*n), DC: make([]float32, rows*n), DZ: make([]float32, rows*d),
				DA: make([]float32, d*n), DD: make([]float32, d), DDeltaBias: make([]float32, d),
				LdDOut: d, LdDU: d, LdDDelta: d, LdDB: n, LdDC: n, LdDZ: d}
			for b.Loop() {
				s.Backward(a, g)
			}
			b.ReportMetric(float64(b.N)*float64(rows*d*n)/b.Elapsed().Seconds()/1e9, "Gupdates/s")
		})
	}
}

// BenchmarkSSDBackward times the chunked and the recurrent SSD backward at
// Mamba-2 130m's shape, in tokens per second.
func BenchmarkSSDBackward(b *testing.B) {
	d := SSDDims{Batch: 1, SeqLen: 256, Heads: 24, HeadDim: 64, Groups: 1, DState: 128}
	r := rand.New(rand.NewPCG(1, 3))
	rows := d.Batch * d.SeqLen
	in := SSDInputs{
		X: randSlice(r, rows*d.Heads*d.HeadDim, 1), B: randSlice(r, rows*d.DState, 1), C: randSlice(r, rows*d.DState, 1),
		Dt: make([]float32, rows*d.Heads), DA: make([]float32, rows*d.Heads), D: randSlice(r, d.Heads, 1),
	}
	for i := range in.Dt {
		in.Dt[i] = SoftplusScalar(float32(r.NormFloat64()) - 3)
		in.DA[i] = -in.Dt[i] * float32(1+15*r.Float64())
	}
	g := SSDGrads{DY: randSlice(r, rows*d.Heads*d.HeadDim, 1), DX: make([]float32, rows*d.Heads*d.HeadDim),
		DDt: make([]float32, rows*d.Heads), DDA: make([]float32, rows*d.Heads),
		DB: make([]float32, rows*d.DState), DC: make([]float32, rows*d.DState), DD: make([]float32, d.Heads)}
	for _, impl := range []struct {
		name string
		run  func()
	}{
		{"chunked64", func() { SSDChunkedBackward(g, in, d, 64) }},
		{"chunked256", func() { SSDChunkedBackward(g, in, d, 256) }},
		{"recurrent", func() { SSDRecurrentBackward(g, in, d) }},
	} {
		b.Run("130m_1x256/"+impl.name, func(b *testing.B) {
			for b.Loop() {
				impl.run()
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}

// BenchmarkCrossEntropy times the fused loss and gradient at GPT-NeoX's
// vocabulary (50304), in rows per second.
func BenchmarkCrossEntropy(b *testing.B) {
	const rows, vocab = 64, 50304
	r := rand.New(rand.NewPCG(2, 3))
	logits := randSlice(r, rows*vocab, 2)
	dlogits := make([]float32, len(logits))
	targets := make([]int32, rows)
	for i := range targets {
		targets[i] = int32(r.IntN(vocab))
	}
	for b.Loop() {
		if _, _, err := CrossEntropy(dlogits, logits, targets, vocab); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

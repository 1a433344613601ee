package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkSelectiveScan times one layer's scan at mamba-130m's shape
// (d_inner 1536, d_state 16) and reports state updates per second.
func BenchmarkSelectiveScan(b *testing.B) {
	for _, sh := range []struct{ batch, seq int }{{1, 512}, {4, 256}, {1, 1}} {
		b.Run(fmt.Sprintf("mamba130m_%dx%d", sh.batch, sh.seq), func(b *testing.B) {
			const d, n = 1536, 16
			r := rand.New(rand.NewPCG(5, 6))
			rows := sh.batch * sh.seq
			A := randSlice(r, d*n, 1)
			for i := range A {
				A[i] = -float32(math.Exp(float64(A[i])))
			}
			s := &SelectiveScan{A: A, D: randSlice(r, d, 1), DeltaBias: randSlice(r, d, 1), DeltaSoftplus: true, DInner: d, DState: n}
			a := &ScanArgs{Batch: sh.batch, Seq: sh.seq, U: randSlice(r, rows*d, 1), Delta: randSlice(r, rows*d, 1),
				B: randSlice(r, rows*n, 1), C: randSlice(r, rows*n, 1), Z: randSlice(r, rows*d, 1), Out: make([]float32, rows*d),
				State: make([]float32, sh.batch*d*n), LdU: d, LdDelta: d, LdB: n, LdC: n, LdZ: d, LdOut: d}
			for b.Loop() {
				s.Forward(a)
			}
			b.ReportMetric(float64(b.N)*float64(rows*d*n)/b.Elapsed().Seconds()/1e9, "Gupdates/s")
		})
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// scanTwin64 is the selective scan from h_{−1} = 0 entirely in float64, on
// time-major packed tensors: u, delta, z (batch, L, d); B, C (batch, L, n);
// A (d, n). It returns out (batch, L, d).
func scanTwin64(u, delta, A, B, C, D, z, bias []float64, softplus bool, batch, d, n, L int) []float64 {
	out := make([]float64, batch*L*d)
	h := make([]float64, n)
	for b := range batch {
		for c := range d {
			clear(h)
			for t := range L {
				r := b*L + t
				dt := delta[r*d+c]
				if bias != nil {
					dt += bias[c]
				}
				if softplus && dt <= 20 {
					dt = math.Log1p(math.Exp(dt))
				}
				var y float64
				for k := range n {
					h[k] = math.Exp(dt*A[c*n+k])*h[k] + dt*B[r*n+k]*u[r*d+c]
					y += h[k] * C[r*n+k]
				}
				if D != nil {
					y += D[c] * u[r*d+c]
				}
				if z != nil {
					y *= z[r*d+c] * sigmoid64(z[r*d+c])
				}
				out[r*d+c] = y
			}
		}
	}
	return out
}

func TestSelectiveScanGradient(t *testing.T) {
	cases := []struct {
		name                 string
		batch, d, n, L       int
		z, D, bias, softplus bool
	}{
		{"b2_d3_n4_L7_full", 2, 3, 4, 7, true, true, true, true},
		{"b2_d3_n4_L7_no_z_no_D", 2, 3, 4, 7, false, false, true, true},
		{"b1_d2_n3_L5_plain_delta", 1, 2, 3, 5, true, true, false, false},
		{"b2_d17_n2_L3_two_blocks", 2, 17, 2, 3, true, true, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(29, uint64(c.d*c.L)))
			rows := c.batch * c.L
			A := randSlice(r, c.d*c.n, 1)
			for i, v := range A {
				A[i] = -Exp32(0.5 * v) // A = −exp(A_log)
			}
			s := &SelectiveScan{A: A, DeltaSoftplus: c.softplus, DInner: c.d, DState: c.n}
			if c.D {
				s.D = randSlice(r, c.d, 1)
			}
			if c.bias {
				s.DeltaBias = randSlice(r, c.d, 0.5)
			}
			u := randSlice(r, rows*c.d, 1)
			delta := randSlice(r, rows*c.d, 0.5)
			if !c.softplus { // Δ must stay positive without softplus
				for i := range delta {
					delta[i] = 0.1 + 0.5*float32(math.Abs(float64(delta[i])))
				}
			}
			// B and C are column blocks of one x_proj-like output: [dt | B | C], as in Mamba.
			ld := 1 + 2*c.n
			bcx := randSlice(r, rows*ld, 1)
			var z []float32
			if c.z {
				z = randSlice(r, rows*c.d, 1)
			}
			out := make([]float32, rows*c.d)
			args := &ScanArgs{Batch: c.batch, Seq: c.L, U: u, Delta: delta, B: bcx[1:], C: bcx[1+c.n:], Z: z, Out: out,
				LdU: c.d, LdDelta: c.d, LdB: ld, LdC: ld, LdZ: c.d, LdOut: c.d}
			s.Forward(args)

			w, dy := gradPoint(r, len(out))
			dbcx := randSlice(r, rows*ld, 1)
			dbcxBefore := slices.Clone(dbcx)
			g := &ScanGrads{DOut: dy, DU: randSlice(r, len(u), 1), DDelta: randSlice(r, len(delta), 1),
				DB: dbcx[1:], DC: dbcx[1+c.n:], DA: randSlice(r, len(A), 1),
				LdDOut: c.d, LdDU: c.d, LdDDelta: c.d, LdDB: ld, LdDC: ld, LdDZ: c.d}
			dA0 := slices.Clone(g.DA)
			var dD0, dBias0 []float32
			if c.z {
				g.DZ = randSlice(r, len(z), 1)
			}
			if c.D {
				dD0 = randSlice(r, c.d, 1)
				g.DD = slices.Clone(dD0)
			}
			if c.bias {
				dBias0 = randSlice(r, c.d, 1)
				g.DDeltaBias = slices.Clone(dBias0)
			}
			s.Backward(args, g)
			for i := range rows { // the dt column of d(x_proj) is not the scan's
				if dbcx[i*ld] != dbcxBefore[i*ld] {
					t.Fatalf("row %d: Backward wrote outside dB, dC: %g, was %g", i, dbcx[i*ld], dbcxBefore[i*ld])
				}
			}

			u64, delta64, A64 := to64(u), to64(delta), to64(A)
			B64, C64 := to64(packed(bcx[1:], rows, c.n, ld)), to64(packed(bcx[1+c.n:], rows, c.n, ld))
			var z64, D64, bias64 []float64
			tensors := []fdTensor{
				{"u", u64, g.DU}, {"delta", delta64, g.DDelta}, {"A", A64, accumulated(g.DA, dA0)},
				{"B", B64, packed(dbcx[1:], rows, c.n, ld)}, {"C", C64, packed(dbcx[1+c.n:], rows, c.n, ld)},
			}
			if c.z {
				z64 = to64(z)
				tensors = append(tensors, fdTensor{"z", z64, g.DZ})
			}
			if c.D {
				D64 = to64(s.D)
				tensors = append(tensors, fdTensor{"D", D64, accumulated(g.DD, dD0)})
			}
			if c.bias {
				bias64 = to64(s.DeltaBias)
				tensors = append(tensors, fdTensor{"delta_bias", bias64, accumulated(g.DDeltaBias, dBias0)})
			}
			checkGradCase(t, gradCase{
				twin: func() []float64 {
					return scanTwin64(u64, delta64, A64, B64, C64, D64, z64, bias64, c.softplus, c.batch, c.d, c.n, c.L)
				},
				forward32: out, w: w, tensors: tensors,
			})
		})
	}
}

// TestSelectiveScanBackwardMatchesGoTwin checks Backward — the C kernel in
// the default build, and the parallel split (contiguous channel blocks per
// worker, private dB and dC summed in worker order) — against one sequential
// pass of the Go loops over every channel, on a shape large enough to run in
// parallel.
func TestSelectiveScanBackwardMatchesGoTwin(t *testing.T) {
	const batch, d, n, L = 2, 80, 16, 64
	r := rand.New(rand.NewPCG(31, 1))
	rows := batch * L
	A := randSlice(r, d*n, 1)
	for i, v := range A {
		A[i] = -Exp32(0.5 * v)
	}
	s := &SelectiveScan{A: A, D: randSlice(r, d, 1), DeltaBias: randSlice(r, d, 0.5), DeltaSoftplus: true, DInner: d, DState: n}
	args := &ScanArgs{Batch: batch, Seq: L, U: randSlice(r, rows*d, 1), Delta: randSlice(r, rows*d, 0.5),
		B: randSlice(r, rows*n, 1), C: randSlice(r, rows*n, 1), Z: randSlice(r, rows*d, 1), Out: make([]float32, rows*d),
		LdU: d, LdDelta: d, LdB: n, LdC: n, LdZ: d, LdOut: d}
	grads := func() *ScanGrads {
		return &ScanGrads{DOut: args.Z, DU: make([]float32, rows*d), DDelta: make([]float32, rows*d),
			DB: make([]float32, rows*n), DC: make([]float32, rows*n), DZ: make([]float32, rows*d),
			DA: make([]float32, d*n), DD: make([]float32, d), DDeltaBias: make([]float32, d),
			LdDOut: d, LdDU: d, LdDDelta: d, LdDB: n, LdDC: n, LdDZ: d}
	}
	got, want := grads(), grads()
	s.Backward(args, got)
	ws := newScanBackwardScratch(L, n)
	for b := range batch {
		for d0 := 0; d0 < d; d0 += scanBlock {
			s.backwardBlock(args, want, b, d0, ws, want.DB[b*L*n:], want.DC[b*L*n:], true)
		}
	}
	for _, x := range []struct {
		name      string
		got, want []float32
	}{
		{"du", got.DU, want.DU}, {"ddelta", got.DDelta, want.DDelta}, {"dB", got.DB, want.DB}, {"dC", got.DC, want.DC},
		{"dz", got.DZ, want.DZ}, {"dA", got.DA, want.DA}, {"dD", got.DD, want.DD}, {"ddelta_bias", got.DDeltaBias, want.DDeltaBias},
	} {
		// dB and dC sum 80 channels in another order: float32 rounding of terms of a few units.
		requireClose(t, x.name, x.got, x.want, 1e-4, 1e-5)
	}
}

package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/steady-ml/steady/safetensors"
)

const scanFixture = "../../shared/fixtures/mamba1/selective_scan.safetensors"

// scanRef is the readable float64 twin of SelectiveScan.Forward, written in
// selective_scan_ref's own layout: u, delta, z, out (batch, d, L); A (d, n);
// B, C (batch, n, L); state (batch, d, n) updated in place when non-nil.
func scanRef(u, delta, A, B, C, D, z, deltaBias []float32, softplus bool, batch, d, n, L int, state []float32) []float32 {
	out := make([]float32, batch*d*L)
	for b := 0; b < batch; b++ {
		for c := 0; c < d; c++ {
			h := make([]float64, n)
			if state != nil {
				for k := range h {
					h[k] = float64(state[(b*d+c)*n+k])
				}
			}
			for t := 0; t < L; t++ {
				dt := float64(delta[(b*d+c)*L+t])
				if deltaBias != nil {
					dt += float64(deltaBias[c])
				}
				if softplus && dt <= 20 {
					dt = math.Log1p(math.Exp(dt))
				}
				uv := float64(u[(b*d+c)*L+t])
				var y float64
				for k := 0; k < n; k++ {
					h[k] = math.Exp(dt*float64(A[c*n+k]))*h[k] + dt*float64(B[(b*n+k)*L+t])*uv
					y += h[k] * float64(C[(b*n+k)*L+t])
				}
				if D != nil {
					y += float64(D[c]) * uv
				}
				if z != nil {
					zv := float64(z[(b*d+c)*L+t])
					y *= zv / (1 + math.Exp(-zv))
				}
				out[(b*d+c)*L+t] = float32(y)
			}
			if state != nil {
				for k := range h {
					state[(b*d+c)*n+k] = float32(h[k])
				}
			}
		}
	}
	return out
}

// toTimeMajor turns (batch, ch, L) into (batch, L, ch); toChannelMajor undoes it.
func toTimeMajor(x []float32, batch, ch, L int) []float32 {
	y := make([]float32, len(x))
	for b := 0; b < batch; b++ {
		for c := 0; c < ch; c++ {
			for t := 0; t < L; t++ {
				y[(b*L+t)*ch+c] = x[(b*ch+c)*L+t]
			}
		}
	}
	return y
}

func toChannelMajor(x []float32, batch, ch, L int) []float32 {
	y := make([]float32, len(x))
	for b := 0; b < batch; b++ {
		for c := 0; c < ch; c++ {
			for t := 0; t < L; t++ {
				y[(b*ch+c)*L+t] = x[(b*L+t)*ch+c]
			}
		}
	}
	return y
}

// runScan calls the fast scan on selective_scan_ref-layout tensors, splitting
// time into chunks of the given length (carrying the state), and returns out in
// (batch, d, L) layout.
func runScan(s *SelectiveScan, u, delta, B, C, z []float32, batch, L, chunk int, state []float32) []float32 {
	d, n := s.DInner, s.DState
	ut, dt := toTimeMajor(u, batch, d, L), toTimeMajor(delta, batch, d, L)
	bt, ct := toTimeMajor(B, batch, n, L), toTimeMajor(C, batch, n, L)
	var zt []float32
	if z != nil {
		zt = toTimeMajor(z, batch, d, L)
	}
	out := make([]float32, batch*L*d)
	for t0 := 0; t0 < L; t0 += chunk {
		l := min(chunk, L-t0)
		// gather the chunk (batch, l, ·) from (batch, L, ·)
		sub := func(x []float32, w int) []float32 {
			if x == nil {
				return nil
			}
			y := make([]float32, batch*l*w)
			for b := 0; b < batch; b++ {
				copy(y[b*l*w:(b+1)*l*w], x[(b*L+t0)*w:(b*L+t0+l)*w])
			}
			return y
		}
		o := make([]float32, batch*l*d)
		s.Forward(&ScanArgs{Batch: batch, Seq: l, U: sub(ut, d), Delta: sub(dt, d), B: sub(bt, n), C: sub(ct, n), Z: sub(zt, d),
			Out: o, State: state, LdU: d, LdDelta: d, LdB: n, LdC: n, LdZ: d, LdOut: d})
		for b := 0; b < batch; b++ {
			copy(out[(b*L+t0)*d:(b*L+t0+l)*d], o[b*l*d:(b+1)*l*d])
		}
	}
	return toChannelMajor(out, batch, d, L)
}

// runScanGo is runScan in one chunk through scanChannelsGo directly.
func runScanGo(s *SelectiveScan, u, delta, B, C, z []float32, batch, L int, state []float32) []float32 {
	d, n := s.DInner, s.DState
	a := &ScanArgs{Batch: batch, Seq: L, U: toTimeMajor(u, batch, d, L), Delta: toTimeMajor(delta, batch, d, L),
		B: toTimeMajor(B, batch, n, L), C: toTimeMajor(C, batch, n, L), Out: make([]float32, batch*L*d), State: state,
		LdU: d, LdDelta: d, LdB: n, LdC: n, LdZ: d, LdOut: d}
	if z != nil {
		a.Z = toTimeMajor(z, batch, d, L)
	}
	for b := 0; b < batch; b++ {
		for d0 := 0; d0 < d; d0 += scanBlock {
			s.scanChannelsGo(a, b, d0)
		}
	}
	return toChannelMajor(a.Out, batch, d, L)
}

func TestSelectiveScanMatchesFixture(t *testing.T) {
	f, err := safetensors.Open(scanFixture)
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) ([]float32, []int) {
		x, shape, err := f.F32(name)
		if err != nil {
			t.Fatal(err)
		}
		return x, shape
	}
	for _, tc := range []struct {
		name   string
		prefix string
		full   bool // D, z, delta_bias and softplus present
	}{
		{"layer0_call_D_z_bias_softplus", "", true},
		{"plain_no_D_z_bias", "plain.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, shape := get(tc.prefix + "u")
			batch, d, L := shape[0], shape[1], shape[2]
			delta, _ := get(tc.prefix + "delta")
			A, ashape := get(tc.prefix + "A")
			B, _ := get(tc.prefix + "B")
			C, _ := get(tc.prefix + "C")
			wantOut, _ := get(tc.prefix + "out")
			wantState, _ := get(tc.prefix + "last_state")
			s := &SelectiveScan{A: A, DInner: d, DState: ashape[1]}
			var z []float32
			if tc.full {
				s.D, _ = get("D")
				s.DeltaBias, _ = get("delta_bias")
				s.DeltaSoftplus = true
				z, _ = get("z")
			}
			for _, chunk := range []int{L, 1, 7} {
				state := make([]float32, batch*d*s.DState)
				out := runScan(s, u, delta, B, C, z, batch, L, chunk, state)
				ma, _, _ := closeReport(out, wantOut, 0, 0)
				ms, _, _ := closeReport(state, wantState, 0, 0)
				t.Logf("%s kernel, chunk %d: out max abs %.3g, last_state max abs %.3g", scanImpl, chunk, ma, ms)
				requireClose(t, "out", out, wantOut, 1e-5, 0)
				requireClose(t, "last_state", state, wantState, 1e-6, 0)
			}
		})
	}
}

func TestSelectiveScanMatchesReferenceTwin(t *testing.T) {
	for _, tc := range []struct {
		name              string
		batch, d, n, L    int
		withDZBias, state bool
		deltaScale        float32 // spread of δ (and z): 15 reaches softplus's threshold and e^x's clamps
		atol              float64
	}{
		{"b1_d5_n3_L1_plain", 1, 5, 3, 1, false, false, 1, 1e-5},
		{"b2_d37_n16_L40_full_state", 2, 37, 16, 40, true, true, 1, 1e-5},
		{"b3_d64_n16_L200_full_parallel", 3, 64, 16, 200, true, true, 1, 1e-5},
		{"b1_d20_n70_L9_bigstate", 1, 20, 70, 9, true, false, 1, 1e-5},
		// |Δ| up to ~45 makes |h| ~ 50 and ⟨C, h⟩ cancel to ~0.1, so float32
		// rounding shows at ~1e-3 against the float64 twin; the kernels agree
		// with each other to 1e-5 (checked below).
		{"b2_d16_n16_L30_extreme_delta_and_gate", 2, 16, 16, 30, true, true, 15, 2e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tc.d)))
			bdl, bnl := tc.batch*tc.d*tc.L, tc.batch*tc.n*tc.L
			u, delta := randSlice(r, bdl, 1), randSlice(r, bdl, tc.deltaScale)
			B, C := randSlice(r, bnl, 1), randSlice(r, bnl, 1)
			A := randSlice(r, tc.d*tc.n, 1)
			for i := range A {
				A[i] = -float32(math.Exp(float64(A[i])))
			}
			s := &SelectiveScan{A: A, DInner: tc.d, DState: tc.n}
			var z []float32
			if tc.withDZBias {
				s.D, s.DeltaBias, s.DeltaSoftplus = randSlice(r, tc.d, 1), randSlice(r, tc.d, 1), true
				z = randSlice(r, bdl, tc.deltaScale)
			} else {
				for i := range delta {
					delta[i] = float32(math.Abs(float64(delta[i]))) * 0.1
				}
			}
			var st0 []float32
			if tc.state {
				st0 = randSlice(r, tc.batch*tc.d*tc.n, 1)
			}
			clone := func(x []float32) []float32 { return append([]float32(nil), x...) }
			wantState := clone(st0)
			want := scanRef(u, delta, A, B, C, s.D, z, s.DeltaBias, s.DeltaSoftplus, tc.batch, tc.d, tc.n, tc.L, wantState)
			gotState := clone(st0)
			got := runScan(s, u, delta, B, C, z, tc.batch, tc.L, tc.L, gotState)
			requireClose(t, "out", got, want, tc.atol, 1e-5)
			if tc.state {
				requireClose(t, "state", gotState, wantState, tc.atol, 1e-5)
			}
			// The Go kernel (the purego build's) against the same twin, whatever scanImpl is.
			goState := clone(st0)
			goOut := runScanGo(s, u, delta, B, C, z, tc.batch, tc.L, goState)
			requireClose(t, "out_go_kernel", goOut, want, tc.atol, 1e-5)
			requireClose(t, "out_kernel_vs_go_kernel", got, goOut, 1e-5, 1e-5)
			if tc.state {
				requireClose(t, "state_go_kernel", goState, wantState, tc.atol, 1e-5)
				requireClose(t, "state_kernel_vs_go_kernel", gotState, goState, 1e-5, 1e-5)
			}
		})
	}
}

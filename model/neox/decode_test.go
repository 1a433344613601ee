package neox

import (
	"fmt"
	"testing"

	"github.com/steady-ml/steady/nn"
	"github.com/steady-ml/steady/safetensors"
)

// TestDecodeMatchesFixture prefills 25 tokens into a State, then feeds tokens
// 25..32 one at a time, comparing logits and the key/value cache with
// decode.safetensors (HF past_key_values; keys after rotary).
func TestDecodeMatchesFixture(t *testing.T) {
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	ref := openFixture(t, "decode.safetensors")
	const prefill = 25
	s := m.NewState(batch).(*State)

	pre := make([]int32, 0, batch*prefill)
	for b := range batch {
		pre = append(pre, tokens[b*seq:b*seq+prefill]...)
	}
	logits, err := m.Forward(pre, batch, prefill, s)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fixtureF32(t, ref, "prefill.logits")
	requireClose(t, "prefill.logits", logits, want, 1e-4)
	checkCache(t, ref, "prefill", s)

	v := m.VocabSize()
	steps := make([]float32, batch*(seq-prefill)*v) // (batch, 8, vocab)
	step := make([]int32, batch)
	for i := prefill; i < seq; i++ {
		for b := range batch {
			step[b] = tokens[b*seq+i]
		}
		logits, err := m.Forward(step, batch, 1, s)
		if err != nil {
			t.Fatal(err)
		}
		for b := range batch {
			copy(steps[(b*(seq-prefill)+i-prefill)*v:], logits[b*v:(b+1)*v])
		}
	}
	want, _ = fixtureF32(t, ref, "steps.logits")
	requireClose(t, "steps.logits", steps, want, 1e-4)
	checkCache(t, ref, "steps_final", s)
}

// checkCache compares every layer's cached keys and values with
// <prefix>.layers.i.{key,value} of ref.
func checkCache(t *testing.T, ref *safetensors.File, prefix string, s *State) {
	t.Helper()
	for l := range s.keys {
		k, v := s.KV(l)
		for _, c := range []struct {
			name string
			got  []float32
		}{{"key", k}, {"value", v}} {
			name := fmt.Sprintf("%s.layers.%d.%s", prefix, l, c.name)
			want, _ := fixtureF32(t, ref, name)
			requireClose(t, name, c.got, want, 1e-5)
		}
	}
}

// TestDecodeEqualsForward feeds the fixture input in chunks of several sizes
// through a State and checks that the concatenated logits equal one
// stateless forward over the whole input, in float32 and under autocast.
// Under autocast the decode rounds at the same points as the parallel
// forward; only the float32 summation order of the GEMMs may differ (m = 1
// against m = seq rows) and flip a few half roundings. Measured: identical
// in bf16 and f16 (the GEMMs here sum each element in the same order for
// every m). Bound: one half ulp of the logits' absmax 6.35 (2⁻⁵ in bf16,
// 2⁻⁸ in f16) anywhere, and a mean of 1e-5 (a few such flips).
func TestDecodeEqualsForward(t *testing.T) {
	precisions := []struct {
		cast      nn.Autocast
		atol      float64 // max |Δ logits|
		meanBound float64 // mean |Δ logits|
	}{
		{nn.AutocastOff, 1e-4, 1e-4},
		{nn.AutocastBF16, 0x1p-5, 1e-5},
		{nn.AutocastF16, 0x1p-8, 1e-5},
	}
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	v := m.VocabSize()
	cases := []struct {
		name   string
		chunks []int
		cap    int // 0: NewState (grows), else NewStateCap
	}{
		{"one_token_at_a_time_growing", repeat(1, seq), 0},
		{"chunks_7_1_16_9_growing", []int{7, 1, 16, 9}, 0},
		{"chunks_20_13_preallocated", []int{20, 13}, seq},
		{"single_chunk_preallocated", []int{seq}, 64},
	}
	for _, p := range precisions {
		m.SetPrecision(p.cast)
		full, err := m.Forward(tokens, batch, seq, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			t.Run(p.cast.String()+"/"+c.name, func(t *testing.T) {
				s := m.NewState(batch).(*State)
				if c.cap > 0 {
					if s, err = m.NewStateCap(batch, c.cap); err != nil {
						t.Fatal(err)
					}
				}
				got := make([]float32, len(full))
				pos := 0
				for _, n := range c.chunks {
					chunk := make([]int32, 0, batch*n)
					for b := range batch {
						chunk = append(chunk, tokens[b*seq+pos:b*seq+pos+n]...)
					}
					logits, err := m.Forward(chunk, batch, n, s)
					if err != nil {
						t.Fatal(err)
					}
					for b := range batch {
						copy(got[(b*seq+pos)*v:(b*seq+pos+n)*v], logits[b*n*v:(b+1)*n*v])
					}
					pos += n
				}
				if s.Len() != seq {
					t.Errorf("state Len %d, want %d", s.Len(), seq)
				}
				requireClose(t, "logits", got, full, p.atol)
				if mean := meanAbsDiff(got, full); mean > p.meanBound {
					t.Errorf("logits mean |Δ| %.3g, want ≤ %.3g", mean, p.meanBound)
				} else {
					t.Logf("logits mean |Δ| %.3g", mean)
				}
			})
		}
	}
}

func repeat(x, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = x
	}
	return s
}

// TestDecodeAllocatesNothing checks that decoding into a preallocated State
// with ForwardInto allocates nothing once the buffers have their size, in
// float32 and under autocast (whose rounding scratch is pooled). The model
// allocates nothing; what a bf16 GEMM call of package kernel allocates
// itself (its AVX-512 path allocates one closure per call) is allowed
// once per GEMM of the step.
func TestDecodeAllocatesNothing(t *testing.T) {
	if gemmAllocates {
		t.Skip("the pure-Go GEMM allocates for its goroutines")
	}
	for _, cast := range []nn.Autocast{nn.AutocastOff, nn.AutocastBF16, nn.AutocastF16} {
		t.Run(cast.String(), func(t *testing.T) {
			m := newRandomModel(t, tinyConfig())
			c := m.Config
			// per layer qkv, dense, fc1, fc2 and per (sequence, head) q·kᵀ and P·v; the head
			gemms := c.NumHiddenLayers*(4+2*2*c.NumAttentionHeads) + 1
			want := float64(gemms) * gemmAllocs(cast)
			m.SetPrecision(cast)
			s, err := m.NewStateCap(2, m.Config.MaxPositionEmbeddings)
			if err != nil {
				t.Fatal(err)
			}
			logits := make([]float32, 2*m.VocabSize())
			step := []int32{1, 2}
			if err := m.ForwardInto(logits, step, 2, 1, s); err != nil { // sizes the buffers
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(10, func() {
				if err := m.ForwardInto(logits, step, 2, 1, s); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > want {
				t.Errorf("%g allocations per decode step, want ≤ %g (the GEMM kernel's own)", allocs, want)
			}
		})
	}
}

// gemmAllocs is how many allocations one small cast.Gemm makes once its
// pooled scratch is warm: those of the kernel it calls.
func gemmAllocs(cast nn.Autocast) float64 {
	a, b, c := make([]float32, 4*8), make([]float32, 8*4), make([]float32, 4*4)
	cast.Gemm(false, false, 4, 4, 8, 1, a, 8, b, 4, 0, c, 4)
	return testing.AllocsPerRun(10, func() { cast.Gemm(false, false, 4, 4, 8, 1, a, 8, b, 4, 0, c, 4) })
}

package neox

import (
	"fmt"
	"testing"

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
// stateless forward over the whole input.
func TestDecodeEqualsForward(t *testing.T) {
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	full, err := m.Forward(tokens, batch, seq, nil)
	if err != nil {
		t.Fatal(err)
	}
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
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
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
			requireClose(t, "logits", got, full, 1e-4)
		})
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
// with ForwardInto allocates nothing once the buffers have their size.
func TestDecodeAllocatesNothing(t *testing.T) {
	if gemmAllocates {
		t.Skip("the pure-Go GEMM allocates for its goroutines")
	}
	m := newRandomModel(t, tinyConfig())
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
	if allocs != 0 {
		t.Errorf("%g allocations per decode step, want 0", allocs)
	}
}

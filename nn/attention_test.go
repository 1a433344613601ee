package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

// attentionRef is the readable float64 twin of Attention.Forward.
func attentionRef(a Attention, q, k, v []float32, batch, seq, past, capacity int) (out, probs []float32) {
	hs, width, keys := a.HeadSize, a.Heads*a.HeadSize, past+seq
	out, probs = make([]float32, batch*seq*width), make([]float32, batch*a.Heads*seq*keys)
	for b := range batch {
		for h := range a.Heads {
			bh := b*a.Heads + h
			for t := range seq {
				s := make([]float64, past+t+1)
				mx := math.Inf(-1)
				for j := range s {
					for i := range hs {
						s[j] += float64(q[(bh*seq+t)*hs+i]) * float64(k[(bh*capacity+j)*hs+i])
					}
					s[j] *= float64(a.Scale)
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j := range s {
					p := s[j] / sum
					probs[(bh*seq+t)*keys+j] = float32(p)
					for i := range hs {
						out[(b*seq+t)*width+h*hs+i] += float32(p * float64(v[(bh*capacity+j)*hs+i]))
					}
				}
			}
		}
	}
	return out, probs
}

func TestAttentionForwardMatchesReference(t *testing.T) {
	cases := []struct {
		batch, heads, headSize, seq, past, capacity int
	}{
		{1, 1, 4, 1, 0, 1},
		{2, 3, 8, 5, 0, 5},
		{2, 2, 16, 1, 9, 16}, // one decode step against a cache with spare rows
		{1, 4, 16, 7, 4, 12}, // a chunk continuing a cache
	}
	for _, c := range cases {
		name := fmt.Sprintf("b%d_h%d_hs%d_seq%d_past%d_cap%d", c.batch, c.heads, c.headSize, c.seq, c.past, c.capacity)
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(4, uint64(c.seq*100+c.past)))
			a := Attention{Heads: c.heads, HeadSize: c.headSize, Scale: float32(1 / math.Sqrt(float64(c.headSize)))}
			q := randSlice(r, c.batch*c.heads*c.seq*c.headSize, 1)
			k := randSlice(r, c.batch*c.heads*c.capacity*c.headSize, 1)
			v := randSlice(r, c.batch*c.heads*c.capacity*c.headSize, 1)
			wantOut, wantProbs := attentionRef(a, q, k, v, c.batch, c.seq, c.past, c.capacity)
			out := randSlice(r, len(wantOut), 100)
			probs := randSlice(r, len(wantProbs), 100)
			a.Forward(out, probs, q, k, v, c.batch, c.seq, c.past, c.capacity)
			requireClose(t, "probs", probs, wantProbs, 1e-6, 1e-5)
			requireClose(t, "out", out, wantOut, 1e-5, 1e-5)
		})
	}
}

// TestGPTNeoXAttentionMatchesFixture runs layer 0's attention of the GPT-NeoX
// fixture (HF v4.40.2) from its stored input_layernorm_out: Linear (qkv),
// Rotary on q and k, Attention, Linear (dense).
func TestGPTNeoXAttentionMatchesFixture(t *testing.T) {
	const batch, seq, heads, hs, rotDims, hidden = 2, 33, 4, 16, 4, 64
	load := func(file, name string) []float32 { return fixture.F32(t, fixture.Open(t, "gpt_neox", file), name) }
	p := "gpt_neox.layers.0.attention."
	qkv, err := NewLinear(load("model.safetensors", p+"query_key_value.weight"), load("model.safetensors", p+"query_key_value.bias"), hidden, 3*hidden)
	if err != nil {
		t.Fatal(err)
	}
	dense, err := NewLinear(load("model.safetensors", p+"dense.weight"), load("model.safetensors", p+"dense.bias"), hidden, hidden)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := NewRotary(rotDims, 128, 10000)
	if err != nil {
		t.Fatal(err)
	}
	rows := batch * seq
	y := make([]float32, rows*3*hidden)
	qkv.Forward(y, load("forward.safetensors", "layers.0.input_layernorm_out"), rows)
	requireClose(t, "qkv", y, load("forward.safetensors", "layers.0.qkv"), 1e-5, 0)

	// [head: q k v] per row → q, k, v: (batch, heads, seq, hs), rotated.
	q, k, v := make([]float32, rows*hidden), make([]float32, rows*hidden), make([]float32, rows*hidden)
	for b := range batch {
		for s := range seq {
			for h := range heads {
				src := y[(b*seq+s)*3*hidden+h*3*hs:]
				dst := ((b*heads+h)*seq + s) * hs
				copy(q[dst:dst+hs], src[:hs])
				copy(k[dst:dst+hs], src[hs:2*hs])
				copy(v[dst:dst+hs], src[2*hs:3*hs])
				rot.Apply(q[dst:dst+hs], s)
				rot.Apply(k[dst:dst+hs], s)
			}
		}
	}
	a := Attention{Heads: heads, HeadSize: hs, Scale: 0.25}
	out, probs := make([]float32, rows*hidden), make([]float32, batch*heads*seq*seq)
	a.Forward(out, probs, q, k, v, batch, seq, 0, seq)
	requireClose(t, "attn_probs", probs, load("forward.safetensors", "layers.0.attn_probs"), 1e-6, 0)
	dense.Forward(y[:rows*hidden], out, rows)
	requireClose(t, "attention_out", y[:rows*hidden], load("forward.safetensors", "layers.0.attention_out"), 1e-5, 0)
}

// BenchmarkAttentionForward runs pythia-160m's 12 heads of 64 over a 512-token
// prefill and one decode step against a 512-token cache.
func BenchmarkAttentionForward(b *testing.B) {
	const heads, hs = 12, 64
	for _, c := range []struct {
		name      string
		seq, past int
	}{{"prefill_512", 512, 0}, {"decode_past512", 1, 512}} {
		b.Run(c.name, func(b *testing.B) {
			r := rand.New(rand.NewPCG(6, 6))
			keys := c.past + c.seq
			a := Attention{Heads: heads, HeadSize: hs, Scale: 0.125}
			q := randSlice(r, heads*c.seq*hs, 1)
			k, v := randSlice(r, heads*keys*hs, 1), randSlice(r, heads*keys*hs, 1)
			out, probs := make([]float32, c.seq*heads*hs), make([]float32, heads*c.seq*keys)
			for b.Loop() {
				a.Forward(out, probs, q, k, v, 1, c.seq, c.past, keys)
			}
			b.ReportMetric(4*float64(heads*c.seq*keys*hs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

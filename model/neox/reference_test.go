package neox

import (
	"math"
	"testing"
)

// referenceLogits is referenceLogits64 rounded to float32.
func referenceLogits(m *Model, tokens []int32, batch, seq int) []float32 {
	z := referenceLogits64(m, tokens, batch, seq)
	out := make([]float32, len(z))
	for i, x := range z {
		out[i] = float32(x)
	}
	return out
}

// referenceLoss is the mean next-token cross-entropy of referenceLogits64.
func referenceLoss(m *Model, tokens []int32, batch, seq int) float64 {
	v := m.Config.VocabSize
	z := referenceLogits64(m, tokens, batch, seq)
	var loss float64
	for b := range batch {
		for t := range seq - 1 {
			row := z[(b*seq+t)*v : (b*seq+t+1)*v]
			mx := math.Inf(-1)
			for _, x := range row {
				mx = math.Max(mx, x)
			}
			var sum float64
			for _, x := range row {
				sum += math.Exp(x - mx)
			}
			loss += math.Log(sum) + mx - row[tokens[b*seq+t+1]]
		}
	}
	return loss / float64(batch*(seq-1))
}

// referenceLogits64 is the readable float64 twin of Model.Forward, written
// straight from HF modeling_gpt_neox.py (v4.40.2, eager attention) with one
// loop per op and no buffers shared between ops.
func referenceLogits64(m *Model, tokens []int32, batch, seq int) []float64 {
	c := m.Config
	h, hs, rd := c.HiddenSize, c.HeadSize(), c.RotaryDims()
	out := make([]float64, 0, batch*seq*c.VocabSize)
	for b := range batch {
		x := make([][]float64, seq) // (seq, hidden)
		for t := range seq {
			x[t] = widen(m.embedIn.Weight[int(tokens[b*seq+t])*h : (int(tokens[b*seq+t])+1)*h])
		}
		for _, l := range m.layers {
			ln1 := mapRows(x, func(r []float64) []float64 { return refLayerNorm(r, l.ln1.Weight, l.ln1.Bias, c.LayerNormEps) })
			qkv := mapRows(ln1, func(r []float64) []float64 { return refLinear(r, l.qkv.Weight, l.qkv.Bias) })
			heads := make([][]float64, seq) // (seq, hidden)
			for t := range seq {
				heads[t] = make([]float64, h)
			}
			for hd := 0; hd < c.NumAttentionHeads; hd++ {
				q, k, v := make([][]float64, seq), make([][]float64, seq), make([][]float64, seq)
				for t := range seq {
					base := hd * 3 * hs
					q[t] = refRotary(qkv[t][base:base+hs], t, rd, c.RotaryEmbBase)
					k[t] = refRotary(qkv[t][base+hs:base+2*hs], t, rd, c.RotaryEmbBase)
					v[t] = qkv[t][base+2*hs : base+3*hs]
				}
				for t := range seq {
					scores := make([]float64, t+1) // causal: keys 0..t
					mx := math.Inf(-1)
					for j := range scores {
						scores[j] = dot(q[t], k[j]) / math.Sqrt(float64(hs))
						mx = math.Max(mx, scores[j])
					}
					var sum float64
					for j := range scores {
						scores[j] = math.Exp(scores[j] - mx)
						sum += scores[j]
					}
					for j := range scores {
						for i := range hs {
							heads[t][hd*hs+i] += scores[j] / sum * v[j][i]
						}
					}
				}
			}
			attn := mapRows(heads, func(r []float64) []float64 { return refLinear(r, l.dense.Weight, l.dense.Bias) })
			mlp := func(in [][]float64) [][]float64 {
				return mapRows(in, func(r []float64) []float64 {
					u := refLinear(refLayerNorm(r, l.ln2.Weight, l.ln2.Bias, c.LayerNormEps), l.fc1.Weight, l.fc1.Bias)
					for i, z := range u {
						u[i] = refGELU(z, c.HiddenAct)
					}
					return refLinear(u, l.fc2.Weight, l.fc2.Bias)
				})
			}
			if c.UseParallelResidual { // x + attn(ln1(x)) + mlp(ln2(x))
				f := mlp(x)
				for t := range seq {
					for i := range h {
						x[t][i] += attn[t][i] + f[t][i]
					}
				}
			} else { // y = x + attn(ln1(x)); y + mlp(ln2(y))
				for t := range seq {
					for i := range h {
						x[t][i] += attn[t][i]
					}
				}
				f := mlp(x)
				for t := range seq {
					for i := range h {
						x[t][i] += f[t][i]
					}
				}
			}
		}
		for t := range seq {
			out = append(out, refLinear(refLayerNorm(x[t], m.finalLN.Weight, m.finalLN.Bias, c.LayerNormEps), m.embedOut.Weight, nil)...)
		}
	}
	return out
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func mapRows(x [][]float64, f func([]float64) []float64) [][]float64 {
	y := make([][]float64, len(x))
	for i, r := range x {
		y[i] = f(r)
	}
	return y
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// refLinear is y = W·x + b with W (out, in).
func refLinear(x []float64, w, b []float32) []float64 {
	in := len(x)
	y := make([]float64, len(w)/in)
	for o := range y {
		y[o] = dot(x, widen(w[o*in:(o+1)*in]))
		if b != nil {
			y[o] += float64(b[o])
		}
	}
	return y
}

func refLayerNorm(x []float64, w, b []float32, eps float64) []float64 {
	var mu, v float64
	for _, z := range x {
		mu += z / float64(len(x))
	}
	for _, z := range x {
		v += (z - mu) * (z - mu) / float64(len(x))
	}
	y := make([]float64, len(x))
	for i, z := range x {
		y[i] = (z-mu)/math.Sqrt(v+eps)*float64(w[i]) + float64(b[i])
	}
	return y
}

// refRotary is HF apply_rotary_pos_emb on one head vector at position pos:
// x·cos + rotate_half(x)·sin on the first rd dims, the rest passed through.
func refRotary(x []float64, pos, rd int, base float64) []float64 {
	y := append([]float64(nil), x...)
	half := rd / 2
	for i := range half {
		theta := float64(pos) * math.Pow(base, -float64(2*i)/float64(rd))
		cos, sin := math.Cos(theta), math.Sin(theta)
		y[i] = x[i]*cos - x[i+half]*sin
		y[i+half] = x[i+half]*cos + x[i]*sin
	}
	return y
}

func refGELU(x float64, act string) float64 {
	if act == "gelu" {
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	}
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

// TestForwardMatchesFloat64Twin compares Forward with referenceLogits on the
// fixture model (which also checks the twin) and on random models covering
// the config switches the fixture does not.
func TestForwardMatchesFloat64Twin(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"parallel_gelu", func(*Config) {}},
		{"sequential_residual", func(c *Config) { c.UseParallelResidual = false }},
		{"gelu_new_tanh", func(c *Config) { c.HiddenAct = "gelu_new" }},
		{"no_attention_bias_tied", func(c *Config) { c.AttentionBias = false; c.TieWordEmbeddings = true }},
		{"full_rotary", func(c *Config) { c.RotaryPct = 1 }},
		{"wide_mlp_parallel_activation", func(c *Config) { c.IntermediateSize = parallelMin/18 + 1 }}, // 2·9 rows
	}
	tokens := []int32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			c.edit(&cfg)
			m := newRandomModel(t, cfg)
			got, err := m.Forward(tokens, 2, 9, nil)
			if err != nil {
				t.Fatal(err)
			}
			requireClose(t, "logits", got, referenceLogits(m, tokens, 2, 9), 1e-5)
		})
	}
	t.Run("fixture_model", func(t *testing.T) {
		m := fixtureModel(t, nil)
		tokens, batch, seq := fixtureInputs(t)
		got, err := m.Forward(tokens, batch, seq, nil)
		if err != nil {
			t.Fatal(err)
		}
		requireClose(t, "logits", got, referenceLogits(m, tokens, batch, seq), 1e-4)
	})
}

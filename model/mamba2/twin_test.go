package mamba2

import (
	"fmt"
	"math"
	"slices"
)

// twin64 is a float64 Mamba-2 written from the equations, one time step at a
// time with the SSD as its recurrence (mamba_ssm Mamba2.step, mamba-minimal
// style), sharing nothing with the package's forward but the config and the
// weights' names. Its loss has float64 rounding, so central differences of it
// are exact to ≈1e-9 and check the float32 backward far below float32
// finite-difference noise.
type twin64 struct {
	c Config
	w map[string][]float64 // every tensor of Params, by name, widened to float64
}

// newTwin64 copies m's current weights.
func newTwin64(m *Model) *twin64 {
	tw := &twin64{c: m.Config, w: map[string][]float64{}}
	for _, p := range m.Params() {
		v := make([]float64, len(p.Data))
		for i, x := range p.Data {
			v[i] = float64(x)
		}
		tw.w[p.Name] = v
	}
	return tw
}

// loss is the mean cross-entropy of the logits at each position against
// targets (ignored where nn.IgnoreIndex), times seed.
func (tw *twin64) loss(tokens, targets []int32, batch, seq int, seed float64) float64 {
	c := tw.c
	var sum float64
	count := 0
	for b := 0; b < batch; b++ {
		hidden := tw.sequence(tokens[b*seq : (b+1)*seq])
		for t, h := range hidden {
			tgt := targets[b*seq+t]
			if tgt < 0 {
				continue
			}
			logits := matVec(tw.w[tw.headName()], h, c.PaddedVocab(), c.DModel)
			mx := slices.Max(logits)
			var z float64
			for _, l := range logits {
				z += math.Exp(l - mx)
			}
			sum += mx + math.Log(z) - logits[tgt]
			count++
		}
	}
	return seed * sum / float64(count)
}

func (tw *twin64) headName() string {
	if tw.c.TieEmbeddings {
		return nameEmbeddingHF
	}
	return nameLMHead
}

// sequence returns norm_f's output (seq, DModel) for one sequence.
func (tw *twin64) sequence(tokens []int32) [][]float64 {
	c := tw.c
	D := c.DModel
	resid := make([][]float64, len(tokens))
	for t, tok := range tokens {
		resid[t] = slices.Clone(tw.w[nameEmbeddingHF][int(tok)*D : (int(tok)+1)*D])
	}
	for i := range c.NLayer {
		p := func(leaf string) []float64 { return tw.w[fmt.Sprintf("backbone.layers.%d.%s", i, leaf)] }
		in := make([][]float64, len(tokens))
		for t := range resid {
			in[t] = rmsNorm64(resid[t], p("norm.weight"), float64(c.NormEps), D)
		}
		out := tw.mixer(in, p)
		for t := range resid {
			for j := range resid[t] {
				resid[t][j] += out[t][j]
			}
		}
	}
	for t := range resid {
		resid[t] = rmsNorm64(resid[t], tw.w[nameNormF], float64(c.NormEps), D)
	}
	return resid
}

// mixer runs one Mamba-2 mixer over a sequence u (seq, DModel); p looks up
// the layer's weights by leaf name.
func (tw *twin64) mixer(u [][]float64, p func(string) []float64) [][]float64 {
	c := tw.c
	D, dI, H, P, N, G, W := c.DModel, c.DInner(), c.NHeads(), c.HeadDim, c.DState, c.NGroups, c.DConv
	gn, cd, dp := G*N, c.ConvDim(), c.DInProj()
	inW, inB, convW, convB := p("mixer.in_proj.weight"), p("mixer.in_proj.bias"), p("mixer.conv1d.weight"), p("mixer.conv1d.bias")
	dtBias, aLog, dSkip, normW := p("mixer.dt_bias"), p("mixer.A_log"), p("mixer.D"), p("mixer.norm.weight")
	outW, outB := p("mixer.out_proj.weight"), p("mixer.out_proj.bias")
	zxbcdt := make([][]float64, len(u))
	for t := range u {
		zxbcdt[t] = matVec(inW, u[t], dp, D)
		if c.Bias {
			addTo(zxbcdt[t], inB)
		}
	}
	h := make([]float64, H*P*N) // SSM state, from zero
	out := make([][]float64, len(u))
	for t := range u {
		// xBC_t = SiLU(b + Σ_j w[:, j]·xBC_in[t − (W−1) + j])
		xbc := make([]float64, cd)
		for ch := range xbc {
			v := 0.0
			if c.ConvBias {
				v = convB[ch]
			}
			for j := range W {
				if s := t - (W - 1) + j; s >= 0 {
					v += convW[ch*W+j] * zxbcdt[s][dI+ch]
				}
			}
			xbc[ch] = silu64(v)
		}
		x, B, C := xbc[:dI], xbc[dI:dI+gn], xbc[dI+gn:]
		y := make([]float64, dI)
		for hd := range H {
			delta := min(max(softplus64(zxbcdt[t][dp-H+hd]+dtBias[hd]), c.DtLimit[0]), c.DtLimit[1])
			decay := math.Exp(-delta * math.Exp(aLog[hd]))
			g := hd / (H / G)
			for pp := range P {
				ch := hd*P + pp
				d := dSkip[hd]
				if c.DHasHdim {
					d = dSkip[ch]
				}
				st := h[ch*N : (ch+1)*N]
				for n := range N {
					// h = exp(Δ·A)·h + Δ·x·B;  y = h·C + D·x
					st[n] = decay*st[n] + delta*x[ch]*B[g*N+n]
					y[ch] += st[n] * C[g*N+n]
				}
				y[ch] += d * x[ch]
			}
		}
		z := zxbcdt[t][:dI]
		for i := range y {
			y[i] *= silu64(z[i])
		}
		if c.GatedNorm {
			gs := dI / G
			for g0 := 0; g0 < dI; g0 += gs {
				copy(y[g0:g0+gs], rmsNorm64(y[g0:g0+gs], normW[g0:g0+gs], float64(c.GatedNormEps), gs))
			}
		}
		out[t] = matVec(outW, y, D, dI)
		if c.Bias {
			addTo(out[t], outB)
		}
	}
	return out
}

// matVec returns W·x for W (rows, cols) row-major.
func matVec(w, x []float64, rows, cols int) []float64 {
	out := make([]float64, rows)
	for r := range out {
		for k, v := range w[r*cols : (r+1)*cols] {
			out[r] += v * x[k]
		}
	}
	return out
}

func addTo(dst, src []float64) {
	for i, v := range src {
		dst[i] += v
	}
}

// rmsNorm64 returns x / sqrt(mean(x²) + eps) ⊙ w.
func rmsNorm64(x, w []float64, eps float64, dim int) []float64 {
	var ss float64
	for _, v := range x[:dim] {
		ss += v * v
	}
	s := 1 / math.Sqrt(ss/float64(dim)+eps)
	out := make([]float64, dim)
	for i := range out {
		out[i] = x[i] * s * w[i]
	}
	return out
}

func silu64(x float64) float64 { return x / (1 + math.Exp(-x)) }

// softplus64 is log(1 + eˣ), x above torch's threshold 20.
func softplus64(x float64) float64 {
	if x > 20 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

package nn

import (
	"math/rand/v2"
	"testing"
)

// loraLinearTwin is the float64 twin of a Linear with a LoRA:
// y[r,o] = Σ_i x[r,i]·W[o,i] + b[o] + s·Σ_k B[o,k]·Σ_i A[k,i]·x[r,i].
func loraLinearTwin(x, w, b, a, bm []float64, s float64, rows, in, out, rank int) []float64 {
	y := make([]float64, rows*out)
	for r := 0; r < rows; r++ {
		xa := make([]float64, rank)
		for k := range xa {
			for i := 0; i < in; i++ {
				xa[k] += a[k*in+i] * x[r*in+i]
			}
		}
		for o := 0; o < out; o++ {
			var v float64
			if b != nil {
				v = b[o]
			}
			for i := 0; i < in; i++ {
				v += x[r*in+i] * w[o*in+i]
			}
			for k := 0; k < rank; k++ {
				v += s * bm[o*rank+k] * xa[k]
			}
			y[r*out+o] = v
		}
	}
	return y
}

// TestLoRALinearGradients checks Linear.Forward with a LoRA against the
// float64 twin, and Linear.Backward's dx plus LoRA.Backward's dA, dB by
// finite differences.
func TestLoRALinearGradients(t *testing.T) {
	cases := []struct {
		name                string
		rows, in, out, rank int
		bias                bool
		scale               float32
	}{
		{"rank1_square_bias", 3, 5, 5, 1, true, 2},
		{"rank4_wide_nobias", 4, 6, 9, 4, false, 0.5},
		{"rank3_narrow_rslora", 2, 8, 3, 3, true, 4.618802},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(c.rank)))
			x, w, a, bm := randSlice(r, c.rows*c.in, 1), randSlice(r, c.out*c.in, 0.5), randSlice(r, c.rank*c.in, 0.5), randSlice(r, c.out*c.rank, 0.5)
			var b []float32
			if c.bias {
				b = randSlice(r, c.out, 0.5)
			}
			lora, err := NewLoRA(a, bm, c.rank, c.in, c.out, c.scale)
			if err != nil {
				t.Fatal(err)
			}
			lin := Linear{Weight: w, Bias: b, In: c.in, Out: c.out, LoRA: lora}
			y := make([]float32, c.rows*c.out)
			lin.Forward(y, x, c.rows)
			wts, dy := gradPoint(r, len(y))
			dx := make([]float32, len(x))
			dW := make([]float32, len(w))
			dA0, dB0 := randSlice(r, len(a), 1), randSlice(r, len(bm), 1)
			dA, dB := append([]float32(nil), dA0...), append([]float32(nil), dB0...)
			lin.Backward(dx, dW, nil, dy, x, c.rows)
			lora.Backward(nil, dA, dB, dy, x, c.rows, AutocastOff)
			x64, a64, b64 := to64(x), to64(a), to64(bm)
			var bias64 []float64
			if b != nil {
				bias64 = to64(b)
			}
			checkGradCase(t, gradCase{
				twin: func() []float64 {
					return loraLinearTwin(x64, to64(w), bias64, a64, b64, float64(c.scale), c.rows, c.in, c.out, c.rank)
				},
				forward32: y, w: wts,
				tensors: []fdTensor{{"x", x64, dx}, {"A", a64, accumulated(dA, dA0)}, {"B", b64, accumulated(dB, dB0)}},
			})
		})
	}
}

// TestLoRAMergeEqualsForward checks that a merged weight reproduces the
// adapted layer: x·(W + s·B·A)ᵀ = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, and that the
// embedding's merge reproduces its adapted lookup.
func TestLoRAMergeEqualsForward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rows, in, out, rank := 5, 7, 6, 2
	x, w, a, bm := randSlice(r, rows*in, 1), randSlice(r, out*in, 1), randSlice(r, rank*in, 1), randSlice(r, out*rank, 1)
	lora, _ := NewLoRA(a, bm, rank, in, out, 2)
	adapted, merged := make([]float32, rows*out), make([]float32, rows*out)
	Linear{Weight: w, In: in, Out: out, LoRA: lora}.Forward(adapted, x, rows)
	wm := append([]float32(nil), w...)
	lora.Merge(wm)
	Linear{Weight: wm, In: in, Out: out}.Forward(merged, x, rows)
	requireClose(t, "linear merged vs adapted", merged, adapted, 1e-5, 1e-5)

	vocab, dim := 11, 4
	e, ea, eb := randSlice(r, vocab*dim, 1), randSlice(r, rank*vocab, 1), randSlice(r, dim*rank, 1)
	el, err := NewEmbeddingLoRA(ea, eb, rank, vocab, dim, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{0, 10, 3, 3, 7}
	got, want := make([]float32, len(tokens)*dim), make([]float32, len(tokens)*dim)
	if err := (Embedding{Weight: e, Vocab: vocab, Dim: dim, LoRA: el}).Forward(got, tokens); err != nil {
		t.Fatal(err)
	}
	for i, tok := range tokens { // twin: E[t] + s·Σ_k A[k,t]·B[:,k]
		for j := 0; j < dim; j++ {
			v := float64(e[int(tok)*dim+j])
			for k := 0; k < rank; k++ {
				v += 0.5 * float64(ea[k*vocab+int(tok)]) * float64(eb[j*rank+k])
			}
			want[i*dim+j] = float32(v)
		}
	}
	requireClose(t, "embedding adapted vs twin", got, want, 1e-6, 1e-6)
	em := append([]float32(nil), e...)
	el.Merge(em)
	mergedRows := make([]float32, len(got))
	if err := (Embedding{Weight: em, Vocab: vocab, Dim: dim}).Forward(mergedRows, tokens); err != nil {
		t.Fatal(err)
	}
	requireClose(t, "embedding merged vs adapted", mergedRows, got, 1e-6, 1e-6)
}

// TestEmbeddingLoRAGradients checks EmbeddingLoRA.Backward by finite
// differences, with a repeated token so the scatter-add is exercised.
func TestEmbeddingLoRAGradients(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	vocab, dim, rank := 9, 5, 3
	e, a, b := randSlice(r, vocab*dim, 1), randSlice(r, rank*vocab, 1), randSlice(r, dim*rank, 1)
	tokens := []int32{2, 8, 2, 0}
	el, _ := NewEmbeddingLoRA(a, b, rank, vocab, dim, 1.5)
	y := make([]float32, len(tokens)*dim)
	if err := (Embedding{Weight: e, Vocab: vocab, Dim: dim, LoRA: el}).Forward(y, tokens); err != nil {
		t.Fatal(err)
	}
	wts, dy := gradPoint(r, len(y))
	dA, dB := make([]float32, len(a)), make([]float32, len(b))
	el.Backward(dA, dB, dy, tokens, AutocastOff)
	a64, b64 := to64(a), to64(b)
	twin := func() []float64 {
		out := make([]float64, len(tokens)*dim)
		for i, tok := range tokens {
			for j := 0; j < dim; j++ {
				v := float64(e[int(tok)*dim+j])
				for k := 0; k < rank; k++ {
					v += 1.5 * a64[k*vocab+int(tok)] * b64[j*rank+k]
				}
				out[i*dim+j] = v
			}
		}
		return out
	}
	checkGradCase(t, gradCase{twin: twin, forward32: y, w: wts, tensors: []fdTensor{{"A", a64, dA}, {"B", b64, dB}}})
}

func TestNewLoRAShapeErrors(t *testing.T) {
	cases := []struct {
		name string
		err  func() error
	}{
		{"linear_A_short", func() error { _, err := NewLoRA(make([]float32, 5), make([]float32, 8), 2, 3, 4, 1); return err }},
		{"linear_B_short", func() error { _, err := NewLoRA(make([]float32, 6), make([]float32, 7), 2, 3, 4, 1); return err }},
		{"linear_zero_rank", func() error { _, err := NewLoRA(nil, nil, 0, 3, 4, 1); return err }},
		{"embedding_A_short", func() error {
			_, err := NewEmbeddingLoRA(make([]float32, 5), make([]float32, 8), 2, 3, 4, 1)
			return err
		}},
	}
	for _, c := range cases {
		if c.err() == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

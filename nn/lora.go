package nn

import (
	"fmt"

	"github.com/steady-ml/steady/kernel"
)

// LoRA is a low-rank adapter on a Linear (Hu et al. 2021, eq. 3; PEFT
// tuners/lora/layer.py Linear): the adapted layer computes
//
//	y = x·Wᵀ + b + s·(dropout(x)·Aᵀ)·Bᵀ        s = α/r, or α/√r with rsLoRA
//
// as two thin GEMMs on the rows, never materialising ΔW = s·B·A. The base
// weight stays frozen; A and B are the trainable parameters. Dropout is the
// identity unless Train is set. Precision: A and B are float32 master
// values; the GEMMs accumulate in float32. Under the Linear's autocast,
// PEFT's order of half roundings holds: x·Aᵀ, then ·Bᵀ, then ·s, then the
// sum with the base output, each rounded once.
//
// A LoRA keeps a (rows, R) scratch buffer that grows to the largest call, so
// one LoRA must not run two calls at once (the models serialise forwards).
type LoRA struct {
	A     []float32 // lora_A.weight: (R, In)
	B     []float32 // lora_B.weight: (Out, R)
	R     int       // rank r
	In    int       // input features of the adapted Linear
	Out   int       // output features of the adapted Linear
	Scale float32   // s = α/r (α/√r with rsLoRA)

	// Train puts the adapter in training mode: Forward applies dropout and
	// the adapted Linear's Backward accumulates ∂loss/∂A and ∂loss/∂B into
	// GradA (R, In) and GradB (Out, R).
	Train        bool
	GradA, GradB []float32
	// Dropout is PEFT's lora_dropout p: in training each element of x is
	// zeroed with probability p and the others scaled by 1/(1−p). The mask
	// of a Forward is a hash of Seed, the Forward's number and the element's
	// index, so Backward regenerates it instead of storing it.
	Dropout float32
	Seed    uint64
	// Forwards counts the training Forwards run so far and numbers the
	// current mask; a trainer sets it to the micro-batches already run, so a
	// resumed run draws the masks an uninterrupted one would.
	Forwards uint64

	xa []float32 // scratch x·Aᵀ or dy·B: (rows, R)
}

// NewLoRA checks the shapes of a (r, in) and b (out, r) and returns the
// adapter. It keeps the slices, it does not copy them.
func NewLoRA(a, b []float32, r, in, out int, scale float32) (*LoRA, error) {
	if r <= 0 || in <= 0 || out <= 0 {
		return nil, fmt.Errorf("nn.LoRA: non-positive size r=%d in=%d out=%d", r, in, out)
	}
	if len(a) != r*in {
		return nil, fmt.Errorf("nn.LoRA: A has %d elements, want r·in = %d·%d = %d", len(a), r, in, r*in)
	}
	if len(b) != out*r {
		return nil, fmt.Errorf("nn.LoRA: B has %d elements, want out·r = %d·%d = %d", len(b), out, r, out*r)
	}
	return &LoRA{A: a, B: b, R: r, In: in, Out: out, Scale: scale}, nil
}

// scratch returns (*buf)[:n], growing *buf when it is too small.
func scratch(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// dropping reports whether Forward and Backward apply dropout.
func (l *LoRA) dropping() bool { return l.Train && l.Dropout > 0 }

// keepScale is the factor 1/(1−p) of the elements dropout keeps.
func (l *LoRA) keepScale() float32 { return 1 / (1 - l.Dropout) }

// kept reports whether element i survives the dropout of training Forward
// number l.Forwards: a SplitMix64 hash of (Seed, Forwards, i) mapped to [0, 1)
// with 53 bits, kept when it is at least p.
func (l *LoRA) kept(i int) bool {
	z := l.Seed ^ (l.Forwards * 0x9e3779b97f4a7c15) + uint64(i)*0xbf58476d1ce4e5b9
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11)/(1<<53) >= float64(l.Dropout)
}

// dropped writes dropout(x) for the current mask into a pooled buffer.
func (l *LoRA) dropped(x []float32, n int) *[]float32 {
	buf := GetScratch(n)
	k := l.keepScale()
	for i, v := range x[:n] {
		if l.kept(i) {
			(*buf)[i] = v * k
		} else {
			(*buf)[i] = 0
		}
	}
	return buf
}

// Forward accumulates the adapter's term onto y (PEFT lora.Linear.forward:
// result = result + lora_B(lora_A(dropout(x))) * scaling).
//
//	x: (rows, In)   y: (rows, Out), accumulated: y += s·(dropout(x)·Aᵀ)·Bᵀ
//
// Under autocast: y = round(y + round(s·round(round(x̃·Ãᵀ)·B̃ᵀ))).
func (l *LoRA) Forward(y, x []float32, rows int, cast Autocast) {
	if len(x) < rows*l.In || len(y) < rows*l.Out {
		panic(fmt.Sprintf("nn.LoRA.Forward: x has %d, y has %d elements; want %d·%d and %d·%d", len(x), len(y), rows, l.In, rows, l.Out))
	}
	in := x
	if l.Train {
		l.Forwards++
	}
	if l.dropping() {
		buf := l.dropped(x, rows*l.In)
		defer PutScratch(buf)
		in = *buf
	}
	xa := scratch(&l.xa, rows*l.R)
	// xa (rows, R) = x (rows, In) · Aᵀ (In, R)
	cast.Gemm(false, true, rows, l.R, l.In, 1, in, l.In, l.A, l.In, 0, xa, l.R)
	if cast == AutocastOff {
		// y (rows, Out) += s · xa (rows, R) · Bᵀ (R, Out)
		kernel.Sgemm(false, true, rows, l.Out, l.R, l.Scale, xa, l.R, l.B, l.R, 1, y, l.Out)
		return
	}
	t := GetScratch(rows * l.Out)
	cast.Gemm(false, true, rows, l.Out, l.R, 1, xa, l.R, l.B, l.R, 0, *t, l.Out)
	scaleRounded(cast, *t, l.Scale)
	addRounded(cast, y[:rows*l.Out], *t)
	PutScratch(t)
}

// scaleRounded sets x ← round(s·x) (a half tensor times a Python float).
func scaleRounded(cast Autocast, x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
	cast.Round(x)
}

// addRounded sets y ← round(y + x) (the sum of two half tensors).
func addRounded(cast Autocast, y, x []float32) {
	for i, v := range x {
		y[i] += v
	}
	cast.Round(y)
}

// gradOfScaled returns the gradient reaching the product t of s·t for the
// gradient dy of the half result, round(s·round(dy)), in a pooled buffer.
func gradOfScaled(cast Autocast, dy []float32, s float32) *[]float32 {
	buf := GetScratch(len(dy))
	copy(*buf, dy)
	cast.Round(*buf)
	scaleRounded(cast, *buf, s)
	return buf
}

// Backward computes the adapter's gradients for rows inputs of the last
// Forward (whose dropout mask it regenerates).
//
//	dy: (rows, Out)   x: (rows, In) the Forward input, before dropout
//	dx: (rows, In)    accumulated: dx += dropoutᵀ(s·(dy·B)·A); skipped when nil
//	dA: (R, In)       accumulated: dA += s·(dy·B)ᵀ·dropout(x); skipped when nil
//	dB: (Out, R)      accumulated: dB += s·dyᵀ·(dropout(x)·Aᵀ); skipped when nil
//
// dx accumulates because it adds to the base layer's dx = dy·W. Under
// autocast the gradient reaching s·t is round(s·round(dy)), and each product
// is rounded once; a parameter gradient is rounded before it accumulates.
func (l *LoRA) Backward(dx, dA, dB, dy, x []float32, rows int, cast Autocast) {
	if len(dy) < rows*l.Out || len(x) < rows*l.In || (dx != nil && len(dx) < rows*l.In) ||
		(dA != nil && len(dA) < l.R*l.In) || (dB != nil && len(dB) < l.Out*l.R) {
		panic(fmt.Sprintf("nn.LoRA.Backward: slices too short for rows %d, r %d, in %d, out %d", rows, l.R, l.In, l.Out))
	}
	if dx == nil && dA == nil && dB == nil {
		return
	}
	in := x
	if l.dropping() {
		buf := l.dropped(x, rows*l.In)
		defer PutScratch(buf)
		in = *buf
	}
	// g = s·dy (rows, Out), the gradient of the unscaled product
	g, scale := dy, l.Scale
	if cast != AutocastOff {
		buf := gradOfScaled(cast, dy[:rows*l.Out], l.Scale)
		defer PutScratch(buf)
		g, scale = *buf, 1
	}
	t := scratch(&l.xa, rows*l.R)
	if dB != nil {
		// t (rows, R) = x·Aᵀ;  dB (Out, R) += s · gᵀ (Out, rows) · t (rows, R)
		cast.Gemm(false, true, rows, l.R, l.In, 1, in, l.In, l.A, l.In, 0, t, l.R)
		accumulateGemm(cast, true, false, l.Out, l.R, rows, scale, g, l.Out, t, l.R, dB, l.R)
	}
	if dx == nil && dA == nil {
		return
	}
	// t (rows, R) = g (rows, Out) · B (Out, R)
	cast.Gemm(false, false, rows, l.R, l.Out, scale, g, l.Out, l.B, l.R, 0, t, l.R)
	if dA != nil {
		// dA (R, In) += tᵀ (R, rows) · x (rows, In)
		accumulateGemm(cast, true, false, l.R, l.In, rows, 1, t, l.R, in, l.In, dA, l.In)
	}
	if dx == nil {
		return
	}
	if cast == AutocastOff && !l.dropping() {
		// dx (rows, In) += t (rows, R) · A (R, In)
		kernel.Sgemm(false, false, rows, l.In, l.R, 1, t, l.R, l.A, l.In, 1, dx, l.In)
		return
	}
	d := GetScratch(rows * l.In)
	cast.Gemm(false, false, rows, l.In, l.R, 1, t, l.R, l.A, l.In, 0, *d, l.In)
	if l.dropping() {
		k := l.keepScale()
		for i, v := range *d {
			if l.kept(i) {
				dx[i] += v * k
			}
		}
	} else {
		for i, v := range *d {
			dx[i] += v
		}
	}
	PutScratch(d)
}

// Merge adds the adapter into a weight w (Out, In): w += s·B·A (PEFT
// lora.Linear.get_delta_weight: transpose(B @ A, fan_in_fan_out) * scaling).
func (l *LoRA) Merge(w []float32) {
	if len(w) < l.Out*l.In {
		panic(fmt.Sprintf("nn.LoRA.Merge: w has %d elements, want %d·%d", len(w), l.Out, l.In))
	}
	// w (Out, In) += s · B (Out, R) · A (R, In)
	kernel.Sgemm(false, false, l.Out, l.In, l.R, l.Scale, l.B, l.R, l.A, l.In, 1, w, l.In)
}

// EmbeddingLoRA is a low-rank adapter on an Embedding (PEFT
// tuners/lora/layer.py Embedding): the adapted lookup is
//
//	e_t = E[t] + s·A[:, t]ᵀ·Bᵀ
//
// with A = lora_embedding_A (R, Vocab) and B = lora_embedding_B (Dim, R),
// the layout PEFT saves. Precision: float32; under the Embedding's autocast
// the product with B and its scaling are rounded (the lookup itself is not
// an autocast op). Like LoRA it keeps a (n, R) scratch buffer and must not
// run two calls at once. PEFT applies no dropout to embeddings.
type EmbeddingLoRA struct {
	A     []float32 // lora_embedding_A: (R, Vocab)
	B     []float32 // lora_embedding_B: (Dim, R)
	R     int       // rank r
	Vocab int       // rows of the adapted table
	Dim   int       // width of a row
	Scale float32   // s = α/r (α/√r with rsLoRA)

	// Train makes the Embedding's Backward accumulate ∂loss/∂A and ∂loss/∂B
	// into GradA (R, Vocab) and GradB (Dim, R).
	Train        bool
	GradA, GradB []float32

	ga []float32 // scratch: the gathered columns A[:, t]ᵀ: (n, R)
}

// NewEmbeddingLoRA checks the shapes of a (r, vocab) and b (dim, r).
func NewEmbeddingLoRA(a, b []float32, r, vocab, dim int, scale float32) (*EmbeddingLoRA, error) {
	if r <= 0 || vocab <= 0 || dim <= 0 {
		return nil, fmt.Errorf("nn.EmbeddingLoRA: non-positive size r=%d vocab=%d dim=%d", r, vocab, dim)
	}
	if len(a) != r*vocab {
		return nil, fmt.Errorf("nn.EmbeddingLoRA: A has %d elements, want r·vocab = %d·%d = %d", len(a), r, vocab, r*vocab)
	}
	if len(b) != dim*r {
		return nil, fmt.Errorf("nn.EmbeddingLoRA: B has %d elements, want dim·r = %d·%d = %d", len(b), dim, r, dim*r)
	}
	return &EmbeddingLoRA{A: a, B: b, R: r, Vocab: vocab, Dim: dim, Scale: scale}, nil
}

// gather writes ga[i, k] = A[k, tokens[i]] (PEFT: after_A =
// F.embedding(x, lora_embedding_A.T)) and returns ga (n, R).
func (l *EmbeddingLoRA) gather(tokens []int32) []float32 {
	ga := scratch(&l.ga, len(tokens)*l.R)
	for i, t := range tokens {
		for k := 0; k < l.R; k++ {
			ga[i*l.R+k] = l.A[k*l.Vocab+int(t)]
		}
	}
	return ga
}

// Forward accumulates the adapter's term onto the looked-up rows (PEFT
// lora.Embedding.forward: result = result + (after_A @ embedding_B) * scaling,
// embedding_B = lora_embedding_B.T).
//
//	tokens: (n), ids already checked by Embedding.Forward   out: (n, Dim), accumulated
//
// Under autocast: out += round(s·round(g̃a·B̃ᵀ)), the sum in float32.
func (l *EmbeddingLoRA) Forward(out []float32, tokens []int32, cast Autocast) {
	n := len(tokens)
	if len(out) < n*l.Dim {
		panic(fmt.Sprintf("nn.EmbeddingLoRA.Forward: out has %d elements, want %d·%d", len(out), n, l.Dim))
	}
	if n == 0 {
		return
	}
	ga := l.gather(tokens)
	if cast == AutocastOff {
		// out (n, Dim) += s · ga (n, R) · Bᵀ (R, Dim)
		kernel.Sgemm(false, true, n, l.Dim, l.R, l.Scale, ga, l.R, l.B, l.R, 1, out, l.Dim)
		return
	}
	t := GetScratch(n * l.Dim)
	cast.Gemm(false, true, n, l.Dim, l.R, 1, ga, l.R, l.B, l.R, 0, *t, l.Dim)
	scaleRounded(cast, *t, l.Scale)
	for i, v := range *t {
		out[i] += v
	}
	PutScratch(t)
}

// Backward accumulates the adapter's parameter gradients for a Forward on
// tokens (the input ids get no gradient).
//
//	dout: (n, Dim)
//	dA:   (R, Vocab) accumulated: dA[:, t_i] += s·(dout_i·B)ᵀ; skipped when nil
//	dB:   (Dim, R)   accumulated: dB += s·doutᵀ·ga, ga[i] = A[:, t_i]ᵀ; skipped when nil
//
// Under autocast the gradient of the half product is round(s·round(dout))
// and the products are rounded once.
func (l *EmbeddingLoRA) Backward(dA, dB, dout []float32, tokens []int32, cast Autocast) {
	n := len(tokens)
	if len(dout) < n*l.Dim || (dA != nil && len(dA) < l.R*l.Vocab) || (dB != nil && len(dB) < l.Dim*l.R) {
		panic(fmt.Sprintf("nn.EmbeddingLoRA.Backward: slices too short for %d tokens, r %d, vocab %d, dim %d", n, l.R, l.Vocab, l.Dim))
	}
	if n == 0 || (dA == nil && dB == nil) {
		return
	}
	g, scale := dout, l.Scale
	if cast != AutocastOff {
		buf := gradOfScaled(cast, dout[:n*l.Dim], l.Scale)
		defer PutScratch(buf)
		g, scale = *buf, 1
	}
	if dB != nil {
		ga := l.gather(tokens)
		// dB (Dim, R) += s · doutᵀ (Dim, n) · ga (n, R)
		accumulateGemm(cast, true, false, l.Dim, l.R, n, scale, g, l.Dim, ga, l.R, dB, l.R)
	}
	if dA != nil {
		// t (n, R) = s · dout (n, Dim) · B (Dim, R), then scattered into columns t_i of dA
		t := scratch(&l.ga, n*l.R)
		cast.Gemm(false, false, n, l.R, l.Dim, scale, g, l.Dim, l.B, l.R, 0, t, l.R)
		for i, tok := range tokens {
			for k := 0; k < l.R; k++ {
				dA[k*l.Vocab+int(tok)] += t[i*l.R+k]
			}
		}
	}
}

// Merge adds the adapter into a table e (Vocab, Dim): e += s·(B·A)ᵀ = s·Aᵀ·Bᵀ
// (PEFT lora.Embedding.get_delta_weight: transpose(B @ A, True) * scaling).
func (l *EmbeddingLoRA) Merge(e []float32) {
	if len(e) < l.Vocab*l.Dim {
		panic(fmt.Sprintf("nn.EmbeddingLoRA.Merge: e has %d elements, want %d·%d", len(e), l.Vocab, l.Dim))
	}
	// e (Vocab, Dim) += s · Aᵀ (Vocab, R) · Bᵀ (R, Dim)
	kernel.Sgemm(true, true, l.Vocab, l.Dim, l.R, l.Scale, l.A, l.Vocab, l.B, l.R, 1, e, l.Dim)
}

// ModuleKind is what a named module of a model is, for matching adapter
// targets against it.
type ModuleKind int

// The module kinds a model exposes by name. Only Linear and Embedding take a
// LoRA; the others are listed so a target naming them is an error, not a
// silent no-op.
const (
	KindLinear ModuleKind = iota
	KindEmbedding
	KindConv1d
	KindNorm
)

// String is the PyTorch class a kind corresponds to.
func (k ModuleKind) String() string {
	switch k {
	case KindLinear:
		return "Linear"
	case KindEmbedding:
		return "Embedding"
	case KindConv1d:
		return "Conv1d"
	case KindNorm:
		return "Norm"
	}
	return fmt.Sprintf("ModuleKind(%d)", int(k))
}

// Module is a handle on one named module of a live model, by which an
// adapter is attached (set Linear.LoRA or Embedding.LoRA) or merged.
type Module struct {
	Kind      ModuleKind
	In, Out   int        // Linear: in and out features; Embedding: vocabulary and row width
	Linear    *Linear    // the model's layer when Kind is KindLinear
	Embedding *Embedding // the model's table when Kind is KindEmbedding
	// Unsupported, when not "", says why a LoRA cannot be attached to this
	// Linear or Embedding (e.g. the model applies it without Linear.Forward).
	Unsupported string
	// Untie, when not nil, gives the module's weight-sharing partner (a tied
	// LM head) its own copy of the weight, so a merge changes only this module.
	Untie func()
}

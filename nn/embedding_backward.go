package nn

import "fmt"

// Backward scatter-adds the gradient of Forward's output into the table's
// gradient, dE[tokens[i]] += dout[i] (the gradient of a row copy). dE is a
// parameter gradient and accumulates, so a tied LM head (GPT-NeoX without
// tie, Mamba with tie_word_embeddings) adds its dWᵀ-contribution into the same
// slice before or after this call; a token seen twice adds twice.
//
//	tokens: (n)   dout: (n, Dim)   dE: (Vocab, Dim) accumulated
//
// dE nil skips the table's gradient (a frozen table). An adapter in
// training (EmbeddingLoRA.Train) accumulates its own gradients into its
// GradA and GradB. The tokens must be ones Forward accepted; an id outside
// [0, Vocab) panics.
func (e Embedding) Backward(dE, dout []float32, tokens []int32) {
	if e.LoRA != nil && e.LoRA.Train {
		e.LoRA.Backward(e.LoRA.GradA, e.LoRA.GradB, dout, tokens, e.Cast)
	}
	if dE == nil {
		return
	}
	if len(dout) < len(tokens)*e.Dim || len(dE) < e.Vocab*e.Dim {
		panic(fmt.Sprintf("nn.Embedding.Backward: dout %d, dE %d elements for %d tokens, vocab %d, dim %d", len(dout), len(dE), len(tokens), e.Vocab, e.Dim))
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= e.Vocab {
			panic(fmt.Sprintf("nn.Embedding.Backward: token id %d at position %d outside [0, %d)", t, i, e.Vocab))
		}
		row := dE[int(t)*e.Dim : (int(t)+1)*e.Dim]
		for j, g := range dout[i*e.Dim : (i+1)*e.Dim] {
			row[j] += g
		}
	}
}

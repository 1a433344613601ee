package nn

import "fmt"

// Embedding maps token ids to rows of a table (torch.nn.Embedding).
//
// Precision: the table is float32 master weights; rows are copied exactly.
type Embedding struct {
	Weight []float32      // E: (Vocab, Dim)
	Vocab  int            // rows of the table
	Dim    int            // width of a row
	LoRA   *EmbeddingLoRA // adapter adding s·A[:, t]ᵀ·Bᵀ to each row (lora.go); nil for none
	Cast   Autocast       // the autocast format of the adapter's product; the lookup is exact
}

// NewEmbedding checks that weight holds vocab·dim values.
func NewEmbedding(weight []float32, vocab, dim int) (Embedding, error) {
	if vocab <= 0 || dim <= 0 {
		return Embedding{}, fmt.Errorf("nn.Embedding: non-positive size vocab=%d dim=%d", vocab, dim)
	}
	if len(weight) != vocab*dim {
		return Embedding{}, fmt.Errorf("nn.Embedding: weight has %d elements, want vocab·dim = %d·%d = %d", len(weight), vocab, dim, vocab*dim)
	}
	return Embedding{Weight: weight, Vocab: vocab, Dim: dim}, nil
}

// Forward writes out[i] = E[tokens[i]].
//
//	tokens: (n)   out: (n, Dim)
//
// It returns an error naming the first position whose id is outside
// [0, Vocab); out is then partly written.
func (e Embedding) Forward(out []float32, tokens []int32) error {
	if len(out) < len(tokens)*e.Dim {
		panic(fmt.Sprintf("nn.Embedding.Forward: out has %d elements, want %d·%d", len(out), len(tokens), e.Dim))
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= e.Vocab {
			return fmt.Errorf("token id %d at position %d is outside the vocabulary [0, %d)", t, i, e.Vocab)
		}
		copy(out[i*e.Dim:(i+1)*e.Dim], e.Weight[int(t)*e.Dim:(int(t)+1)*e.Dim])
	}
	if e.LoRA != nil {
		e.LoRA.Forward(out, tokens, e.Cast)
	}
	return nil
}

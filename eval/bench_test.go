package eval

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkScoreRow measures the log-softmax of one logits row, the work
// the scorer adds per continuation token, at GPT-NeoX's padded vocabulary.
func BenchmarkScoreRow(b *testing.B) {
	const vocab = 50280
	r := rand.New(rand.NewPCG(1, 2))
	row := make([]float32, vocab)
	for i := range row {
		row[i] = float32(r.NormFloat64())
	}
	b.SetBytes(4 * vocab)
	for b.Loop() {
		scoreRow(row, 123)
	}
}

// BenchmarkScore measures the scorer's own overhead (tokens fed per
// second) on the fake model, for the batched and the state-sharing paths.
func BenchmarkScore(b *testing.B) {
	const vocab = 64
	pairs := randomPairs(rand.New(rand.NewPCG(3, 4)), vocab, 64)
	for _, c := range []struct {
		name   string
		cloner bool
	}{{"batched", false}, {"cloner", true}} {
		b.Run(c.name, func(b *testing.B) {
			lm := &fakeLM{vocab: vocab}
			sc := &Scorer{LM: lm, MaxLength: 2048, BatchSize: 8, MaxLogits: 1 << 20}
			if c.cloner {
				sc.LM = clonerLM{lm}
			}
			for b.Loop() {
				if _, err := sc.Score(pairs, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(lm.fed)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}

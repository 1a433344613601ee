package generate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/steady-ml/steady/model"
)

// Options controls decoding. The zero value with MaxNewTokens set decodes greedily.
type Options struct {
	MaxNewTokens int
	// Sample draws from the processed distribution; otherwise the argmax is taken.
	Sample      bool
	Temperature float32 // > 0; 1 leaves the logits as they are
	TopK        int     // keep the k most likely tokens; 0 keeps all
	TopP        float32 // keep the smallest set whose probability reaches TopP; 0 or 1 keeps all
	Seed        uint64
	// EOS stops decoding when produced (it is still emitted); negative disables.
	EOS int32
	// Vocab is the number of real tokens; logits beyond it (vocabulary
	// padding) are never chosen. 0 means the model's full logits width.
	Vocab int
}

// Generate continues prompt (one sequence) and calls emit with each new token
// as soon as it is chosen. It returns the new tokens.
func Generate(lm model.LM, prompt []int32, opt Options, emit func(tok int32) error) ([]int32, error) {
	if len(prompt) == 0 {
		return nil, errors.New("generate: empty prompt")
	}
	if opt.MaxNewTokens <= 0 {
		return nil, fmt.Errorf("generate: max new tokens must be positive, got %d", opt.MaxNewTokens)
	}
	if opt.Sample && opt.Temperature <= 0 {
		return nil, fmt.Errorf("generate: temperature must be positive when sampling, got %g", opt.Temperature)
	}
	vocab := lm.VocabSize()
	if opt.Vocab > 0 && opt.Vocab < vocab {
		vocab = opt.Vocab
	}
	state := lm.NewState(1)
	logits, err := lm.Forward(prompt, 1, len(prompt), state)
	if err != nil {
		return nil, err
	}
	width := lm.VocabSize()
	last := logits[(len(prompt)-1)*width : (len(prompt)-1)*width+vocab]
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	s := sampler{opt: opt, rng: rng}
	var out []int32
	for {
		tok := s.next(last)
		out = append(out, tok)
		if emit != nil {
			if err := emit(tok); err != nil {
				return out, err
			}
		}
		if tok == opt.EOS && opt.EOS >= 0 || len(out) == opt.MaxNewTokens {
			return out, nil
		}
		logits, err = lm.Forward([]int32{tok}, 1, 1, state)
		if err != nil {
			return out, err
		}
		last = logits[:vocab]
	}
}

// sampler turns one position's logits into a token; its buffers are reused.
type sampler struct {
	opt   Options
	rng   *rand.Rand
	probs []float32
	order []int
}

func (s *sampler) next(logits []float32) int32 {
	if !s.opt.Sample {
		return int32(argmax(logits))
	}
	return int32(s.sample(logits))
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// sample applies temperature, top-k and top-p to the logits and draws a token:
// p_i ∝ exp(l_i / T) over the kept set.
func (s *sampler) sample(logits []float32) int {
	n := len(logits)
	s.order = s.order[:0]
	for i := range n {
		s.order = append(s.order, i)
	}
	// Most likely first; ties keep the lower id first so the result is deterministic.
	sort.SliceStable(s.order, func(a, b int) bool { return logits[s.order[a]] > logits[s.order[b]] })
	keep := n
	if s.opt.TopK > 0 && s.opt.TopK < keep {
		keep = s.opt.TopK
	}
	s.probs = s.probs[:0]
	maxLogit := float64(logits[s.order[0]])
	var sum float64
	for _, id := range s.order[:keep] {
		p := math.Exp((float64(logits[id]) - maxLogit) / float64(s.opt.Temperature))
		s.probs = append(s.probs, float32(p))
		sum += p
	}
	if s.opt.TopP > 0 && s.opt.TopP < 1 {
		// HF's TopPLogitsWarper keeps the tokens whose cumulative probability,
		// most likely first, has not yet exceeded top_p, plus the one that crosses it.
		var cum float64
		for i, p := range s.probs {
			cum += float64(p) / sum
			if cum >= float64(s.opt.TopP) {
				keep = i + 1
				break
			}
		}
		s.probs = s.probs[:keep]
		sum = 0
		for _, p := range s.probs {
			sum += float64(p)
		}
	}
	u := s.rng.Float64() * sum
	for i, p := range s.probs {
		u -= float64(p)
		if u < 0 {
			return s.order[i]
		}
	}
	return s.order[len(s.probs)-1]
}

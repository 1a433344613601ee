package eval

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/steady-ml/steady/model"
)

// Tokenizer turns text into token ids (tokenizer.Tokenizer satisfies it).
type Tokenizer interface {
	Encode(text string) []int32
}

// StateCloner is implemented by models whose decode state can be copied.
// With it the scorer runs a context shared by several continuations once
// and scores each continuation from a copy of the state after it; without
// it every (context, continuation) pair runs in full.
type StateCloner interface {
	// CloneState returns an independent copy of s.
	CloneState(s model.State) model.State
}

// TokenPair is a request after tokenisation: context and continuation ids.
type TokenPair struct {
	Context, Continuation []int32
}

// Scored is the answer to one request: the log-likelihood of the
// continuation and whether greedy decoding reproduces it token for token.
type Scored struct {
	LL     float64
	Greedy bool
}

// EncodePair is lm-eval's _encode_pair: trailing whitespace of the context
// moves to the front of the continuation, the whole string is encoded and
// the continuation is what follows the separately encoded context. An empty
// context becomes the single token eot (lm-eval's prefix_token_id).
func EncodePair(tok Tokenizer, context, continuation string, eot int32) TokenPair {
	if context == "" {
		return TokenPair{[]int32{eot}, tok.Encode(continuation)}
	}
	trimmed := strings.TrimRightFunc(context, pyIsSpace)
	if n := len(context) - len(trimmed); n > 0 {
		continuation = context[len(trimmed):] + continuation
		context = trimmed
	}
	whole := tok.Encode(context + continuation)
	ctx := tok.Encode(context)
	return TokenPair{ctx, whole[min(len(ctx), len(whole)):]}
}

// pyIsSpace is Python's str.isspace for one character (what rstrip strips).
func pyIsSpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// Scorer computes log-likelihoods of continuations with a model, as
// lm-eval's HF model does in _loglikelihood_tokens.
type Scorer struct {
	LM model.LM
	// MaxLength is lm-eval's max_length: the model sees at most the last
	// MaxLength tokens of context+continuation minus its last token.
	MaxLength int
	// BatchSize is the number of sequences per forward pass.
	BatchSize int
	// MaxLogits bounds the floats of one forward's logits (batch×chunk×vocab);
	// longer inputs go through the decode state in chunks.
	MaxLogits int

	// Truncated counts the requests whose left end was cut to MaxLength.
	Truncated int
}

// prepared is one request laid out for the model.
type prepared struct {
	input   []int32 // (context+continuation)[-(MaxLength+1):][:-1]
	targets []int32 // the continuation ids, predicted by the last len(targets) positions of input
}

func (s *Scorer) prepare(p TokenPair) (prepared, error) {
	if len(p.Continuation) == 0 {
		return prepared{}, fmt.Errorf("eval: empty continuation after tokenisation")
	}
	whole := append(append([]int32{}, p.Context...), p.Continuation...)
	if len(whole) > s.MaxLength+1 {
		whole = whole[len(whole)-(s.MaxLength+1):]
		s.Truncated++
	}
	for _, id := range p.Continuation {
		if int(id) >= s.LM.VocabSize() || id < 0 {
			return prepared{}, fmt.Errorf("eval: continuation token %d outside the model's vocabulary of %d", id, s.LM.VocabSize())
		}
	}
	if len(p.Continuation) > len(whole)-1 {
		return prepared{}, fmt.Errorf("eval: continuation of %d tokens does not fit max length %d", len(p.Continuation), s.MaxLength)
	}
	return prepared{input: whole[:len(whole)-1], targets: p.Continuation}, nil
}

// Score scores the pairs. Pass all the pairs of a task at once: equal
// inputs and shared contexts are found across the whole call, and batches
// are formed from the longest inputs down to keep padding small. report,
// if not nil, is told how many pairs each step finished.
func (s *Scorer) Score(pairs []TokenPair, report func(int)) ([]Scored, error) {
	items := make([]prepared, len(pairs))
	for i, p := range pairs {
		var err error
		if items[i], err = s.prepare(p); err != nil {
			return nil, err
		}
	}
	if report == nil {
		report = func(int) {}
	}
	out := make([]Scored, len(pairs))
	if c, ok := s.LM.(StateCloner); ok {
		return out, s.scoreShared(c, pairs, items, out, report)
	}
	return out, s.scoreBatched(items, allIndices(len(items)), out, report)
}

func allIndices(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// scoreShared runs each distinct untruncated context once and each
// continuation from a clone of the state after it.
func (s *Scorer) scoreShared(c StateCloner, pairs []TokenPair, items []prepared, out []Scored, report func(int)) error {
	groups := map[string][]int{}
	var order []string
	var rest []int
	for i, p := range pairs {
		if len(p.Context)+len(p.Continuation) > s.MaxLength+1 {
			rest = append(rest, i)
			continue
		}
		k := tokenKey(p.Context)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		ctx := pairs[idx[0]].Context
		state := s.LM.NewState(1)
		last, err := s.forwardLast(ctx, state)
		if err != nil {
			return err
		}
		for _, i := range idx {
			cont := items[i].targets
			lp, greedy := scoreRow(last, cont[0])
			if len(cont) > 1 {
				st := c.CloneState(state)
				logits, err := s.LM.Forward(cont[:len(cont)-1], 1, len(cont)-1, st)
				if err != nil {
					return err
				}
				v := s.LM.VocabSize()
				for j := 1; j < len(cont); j++ {
					l, g := scoreRow(logits[(j-1)*v:j*v], cont[j])
					lp += l
					greedy = greedy && g
				}
			}
			out[i] = Scored{lp, greedy}
		}
		report(len(idx))
	}
	return s.scoreBatched(items, rest, out, report)
}

// forwardLast feeds tokens through state (batch 1) in chunks and returns
// the logits of the last position.
func (s *Scorer) forwardLast(tokens []int32, state model.State) ([]float32, error) {
	v := s.LM.VocabSize()
	chunk := max(1, s.MaxLogits/v)
	var last []float32
	for start := 0; start < len(tokens); start += chunk {
		end := min(len(tokens), start+chunk)
		logits, err := s.LM.Forward(tokens[start:end], 1, end-start, state)
		if err != nil {
			return nil, err
		}
		last = logits[(end-start-1)*v : (end-start)*v]
	}
	return append([]float32(nil), last...), nil
}

// sequence is one distinct model input and the requests that read it.
type sequence struct {
	input []int32
	reqs  []int
	from  int // first position whose logits are needed
}

// scoreBatched scores the requests idx in right-padded batches, longest
// first; requests whose inputs are equal (one-token continuations of one
// context) share one sequence, as in lm-eval's one-token-continuation cache.
func (s *Scorer) scoreBatched(items []prepared, idx []int, out []Scored, report func(int)) error {
	byKey := map[string]*sequence{}
	var seqs []*sequence
	for _, i := range idx {
		it := items[i]
		k := tokenKey(it.input)
		sq, ok := byKey[k]
		if !ok {
			sq = &sequence{input: it.input, from: len(it.input)}
			byKey[k] = sq
			seqs = append(seqs, sq)
		}
		sq.reqs = append(sq.reqs, i)
		sq.from = min(sq.from, len(it.input)-len(it.targets))
	}
	sort.SliceStable(seqs, func(a, b int) bool { return len(seqs[a].input) > len(seqs[b].input) })
	bs := max(1, s.BatchSize)
	for start := 0; start < len(seqs); start += bs {
		batch := seqs[start:min(len(seqs), start+bs)]
		if err := s.runBatch(batch, items, out); err != nil {
			return err
		}
		report(len(flatReqs(batch)))
	}
	return nil
}

// runBatch runs one right-padded batch through a fresh state in chunks of
// positions and scores every request of its sequences.
func (s *Scorer) runBatch(batch []*sequence, items []prepared, out []Scored) error {
	n := len(batch)
	length := len(batch[0].input)
	from := length
	for _, sq := range batch {
		from = min(from, sq.from)
	}
	v := s.LM.VocabSize()
	chunk := max(1, s.MaxLogits/(n*v))
	state := s.LM.NewState(n)
	for _, i := range flatReqs(batch) {
		out[i] = Scored{Greedy: true}
	}
	tokens := make([]int32, n*chunk)
	for start := 0; start < length; start += chunk {
		end := min(length, start+chunk)
		w := end - start
		tokens = tokens[:n*w]
		for b, sq := range batch {
			for j := range w {
				if p := start + j; p < len(sq.input) {
					tokens[b*w+j] = sq.input[p]
				} else {
					tokens[b*w+j] = 0 // right padding: never read back, causal models ignore it
				}
			}
		}
		logits, err := s.LM.Forward(tokens, n, w, state)
		if err != nil {
			return err
		}
		if end <= from {
			continue
		}
		for b, sq := range batch {
			for _, i := range sq.reqs {
				it := items[i]
				first := len(it.input) - len(it.targets)
				for j, t := range it.targets {
					p := first + j
					if p < start || p >= end {
						continue
					}
					row := logits[(b*w+p-start)*v : (b*w+p-start+1)*v]
					lp, g := scoreRow(row, t)
					out[i].LL += lp
					out[i].Greedy = out[i].Greedy && g
				}
			}
		}
	}
	return nil
}

func flatReqs(batch []*sequence) []int {
	var r []int
	for _, sq := range batch {
		r = append(r, sq.reqs...)
	}
	return r
}

// scoreRow returns log_softmax(row)[target] and whether target is the
// argmax (the first maximum, as torch.argmax).
func scoreRow(row []float32, target int32) (float64, bool) {
	best := 0
	for i, x := range row {
		if x > row[best] {
			best = i
		}
	}
	m := float64(row[best])
	sum := 0.0
	for _, x := range row {
		sum += math.Exp(float64(x) - m)
	}
	return float64(row[target]) - m - math.Log(sum), best == int(target)
}

// tokenKey is a map key for a token sequence.
func tokenKey(ids []int32) string {
	b := make([]byte, 4*len(ids))
	for i, id := range ids {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(id), byte(id>>8), byte(id>>16), byte(id>>24)
	}
	return string(b)
}

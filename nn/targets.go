package nn

import "fmt"

// NextTokenTargets writes the language-modelling targets of tokens (batch,
// seq) into dst (batch·seq): the next token of each position, IgnoreIndex at
// the last position of every sequence — HF's loss with labels = input_ids.
func NextTokenTargets(dst, tokens []int32, seq int) {
	for r := range dst {
		dst[r] = IgnoreIndex
		if r%seq != seq-1 {
			dst[r] = tokens[r+1]
		}
	}
}

// CountTargets checks targets (rows of seq positions) against a vocabulary of
// vocab real tokens and returns how many are not IgnoreIndex: the N of a mean
// cross-entropy. An out-of-range target, or none at all, is an error.
func CountTargets(targets []int32, seq, vocab int) (int, error) {
	count := 0
	for r, t := range targets {
		if t == IgnoreIndex {
			continue
		}
		if t < 0 || int(t) >= vocab {
			return 0, fmt.Errorf("target %d at (%d, %d) is outside the vocabulary [0, %d) and is not the ignore index %d",
				t, r/seq, r%seq, vocab, IgnoreIndex)
		}
		count++
	}
	if count == 0 {
		return 0, fmt.Errorf("all %d targets are the ignore index %d; the mean loss is undefined", len(targets), IgnoreIndex)
	}
	return count, nil
}

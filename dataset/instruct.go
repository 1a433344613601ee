package dataset

import (
	"fmt"
	"slices"
	"strings"

	"github.com/steady-ml/steady/tokenizer"
)

// Overflow says what happens to an example longer than MaxLen tokens.
type Overflow int

const (
	// OverflowTruncate keeps the first MaxLen tokens, as stanford_alpaca
	// does (truncation=True, max_length=model_max_length).
	OverflowTruncate Overflow = iota
	// OverflowSkip drops the example.
	OverflowSkip
	// OverflowError fails, naming the record's file and line.
	OverflowError
)

var overflowNames = [...]string{"truncate", "skip", "error"}

// String returns the name ParseOverflow accepts.
func (o Overflow) String() string {
	if o >= 0 && int(o) < len(overflowNames) {
		return overflowNames[o]
	}
	return fmt.Sprintf("Overflow(%d)", int(o))
}

// ParseOverflow returns the Overflow named s: truncate, skip or error.
func ParseOverflow(s string) (Overflow, error) {
	for i, name := range overflowNames {
		if s == name {
			return Overflow(i), nil
		}
	}
	return 0, fmt.Errorf("dataset: unknown overflow %q (want one of %s)", s, strings.Join(overflowNames[:], ", "))
}

// InstructOptions configures EncodePairs.
type InstructOptions struct {
	// MaxLen is the most tokens an example may hold, EOS included.
	MaxLen int
	// ResponseOnly masks the prompt's targets, so the loss is taken on the
	// response and its EOS only; otherwise it is taken on every token.
	ResponseOnly bool
	// Overflow says what to do with examples longer than MaxLen.
	Overflow Overflow
	// EOSToken ends each response; "" means "<|endoftext|>".
	EOSToken string
}

// InstructStats counts what EncodePairs did.
type InstructStats struct {
	Examples    int // examples returned
	Truncated   int // examples cut to MaxLen (OverflowTruncate)
	Skipped     int // examples dropped for being too long (OverflowSkip)
	FullyMasked int // examples returned with no target left (prompt ≥ MaxLen)
	// Merged counts examples whose prompt ids are not a prefix of their ids:
	// BPE joined the prompt's end to the response's start (":-" in
	// "### Response:- item"). The mask still covers len(prompt ids) tokens.
	Merged  int
	Targets int // targets that are not IgnoreIndex, over all examples
}

// EncodePairs tokenises instruction pairs in parallel into examples, as
// stanford_alpaca's preprocess does: the example is tokenise(prompt +
// response) followed by EOS, and with ResponseOnly its first
// len(tokenise(prompt)) labels are IgnoreIndex (both lengths capped at
// MaxLen when truncating). Targets are the labels shifted by one: the
// target at t is the label at t+1, and the last target is IgnoreIndex.
func EncodePairs(enc Encoder, pairs []Pair, opt InstructOptions) ([]Example, InstructStats, error) {
	var st InstructStats
	if opt.MaxLen <= 0 {
		return nil, st, fmt.Errorf("dataset: MaxLen %d, want > 0", opt.MaxLen)
	}
	eos, err := tokenID(enc, opt.EOSToken)
	if err != nil {
		return nil, st, err
	}
	if len(pairs) == 0 {
		return nil, st, fmt.Errorf("dataset: %w: no instruction pairs", ErrEmpty)
	}
	texts := make([]string, 2*len(pairs))
	for i, p := range pairs {
		texts[i] = p.Prompt
		texts[len(pairs)+i] = p.Prompt + p.Response
	}
	ids := enc.EncodeBatch(texts, tokenizer.EncodeOptions{})
	out := make([]Example, 0, len(pairs))
	for i, p := range pairs {
		full := append(ids[len(pairs)+i], eos)
		promptLen := len(ids[i])
		if promptLen >= len(full) || !slices.Equal(ids[i], full[:promptLen]) {
			st.Merged++
		}
		if len(full) > opt.MaxLen {
			switch opt.Overflow {
			case OverflowSkip:
				st.Skipped++
				continue
			case OverflowError:
				return nil, st, &Error{File: p.File, Line: p.Line,
					Err: fmt.Errorf("%d tokens, more than MaxLen %d", len(full), opt.MaxLen)}
			}
			st.Truncated++
			full = full[:opt.MaxLen]
		}
		if !opt.ResponseOnly {
			promptLen = 0
		}
		ex := example(full, promptLen)
		n := countTargets(ex.Targets)
		if n == 0 {
			st.FullyMasked++
		}
		st.Targets += n
		out = append(out, ex)
	}
	st.Examples = len(out)
	if len(out) == 0 {
		return nil, st, fmt.Errorf("dataset: %s: %w: all %d pairs are longer than MaxLen %d", files(pairs), ErrEmpty, len(pairs), opt.MaxLen)
	}
	return out, st, nil
}

// example builds the example of ids whose first masked labels are
// IgnoreIndex: Targets[t] = label[t+1], Targets[n-1] = IgnoreIndex.
func example(ids []int32, masked int) Example {
	targets := make([]int32, len(ids))
	for t := range targets {
		if t+1 < len(ids) && t+1 >= masked {
			targets[t] = ids[t+1]
		} else {
			targets[t] = IgnoreIndex
		}
	}
	return Example{Tokens: ids, Targets: targets}
}

func countTargets(targets []int32) int {
	n := 0
	for _, t := range targets {
		if t != IgnoreIndex {
			n++
		}
	}
	return n
}

// files names the files pairs come from, for errors about all of them.
func files(pairs []Pair) string {
	var names []string
	for _, p := range pairs {
		if !slices.Contains(names, p.File) {
			names = append(names, p.File)
		}
	}
	return strings.Join(names, ", ")
}

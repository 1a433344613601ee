package dataset

import (
	"fmt"
	"strings"

	"github.com/steady-ml/steady/tokenizer"
)

// PackOptions configures Pack.
type PackOptions struct {
	// SeqLen is the length of each packed example; each window holds
	// SeqLen+1 tokens of the stream.
	SeqLen int
	// EOSToken is appended to each document; "" means "<|endoftext|>".
	EOSToken string
}

// PackStats counts what Pack did.
type PackStats struct {
	Documents      int // documents packed
	EmptyDocuments int // documents that tokenised to nothing, skipped
	Tokens         int // length of the stream, EOS tokens included
	Examples       int // windows cut from the stream
	DroppedTokens  int // tokens at the end of the stream in no window
}

// Pack tokenises docs in parallel, joins them into one stream with an EOS
// after each, and cuts the stream into examples of SeqLen tokens whose
// targets are the next tokens (see the package doc). The examples share the
// stream's memory and must not be written to.
func Pack(enc Encoder, docs []string, opt PackOptions) ([]Example, PackStats, error) {
	var st PackStats
	if opt.SeqLen <= 0 {
		return nil, st, fmt.Errorf("dataset: pack: SeqLen %d, want > 0", opt.SeqLen)
	}
	eos, err := tokenID(enc, opt.EOSToken)
	if err != nil {
		return nil, st, err
	}
	if len(docs) == 0 {
		return nil, st, fmt.Errorf("dataset: pack: %w: no documents", ErrEmpty)
	}
	ids := enc.EncodeBatch(docs, tokenizer.EncodeOptions{})
	total := 0
	for _, d := range ids {
		total += len(d) + 1
	}
	stream := make([]int32, 0, total)
	for _, d := range ids {
		if len(d) == 0 {
			st.EmptyDocuments++
			continue
		}
		st.Documents++
		stream = append(append(stream, d...), eos)
	}
	st.Tokens = len(stream)
	if len(stream) < opt.SeqLen+1 {
		return nil, st, fmt.Errorf("dataset: pack: %w: %d tokens from %d documents do not fill one window of SeqLen+1 = %d",
			ErrEmpty, len(stream), st.Documents, opt.SeqLen+1)
	}
	st.Examples = (len(stream) - 1) / opt.SeqLen
	st.DroppedTokens = len(stream) - (st.Examples*opt.SeqLen + 1)
	out := make([]Example, st.Examples)
	for i := range out {
		w := stream[i*opt.SeqLen : (i+1)*opt.SeqLen+1]
		out[i] = Example{Tokens: w[:opt.SeqLen:opt.SeqLen], Targets: w[1 : opt.SeqLen+1 : opt.SeqLen+1]}
	}
	return out, st, nil
}

// PackFiles reads the documents of each file with ReadDocuments and packs
// them all, in the order given, into one stream. Its errors name the files.
func PackFiles(enc Encoder, paths []string, doc DocumentOptions, opt PackOptions) ([]Example, PackStats, error) {
	var docs []string
	for _, p := range paths {
		d, err := ReadDocuments(p, doc)
		if err != nil {
			return nil, PackStats{}, err
		}
		docs = append(docs, d...)
	}
	exs, st, err := Pack(enc, docs, opt)
	if err != nil {
		return nil, st, fmt.Errorf("%s: %w", strings.Join(paths, ", "), err)
	}
	return exs, st, nil
}

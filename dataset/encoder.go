package dataset

import (
	"fmt"

	"github.com/steady-ml/steady/tokenizer"
)

// EOSToken is the end-of-document token of the GPT-NeoX tokenizer family.
const EOSToken = "<|endoftext|>"

// Encoder is the part of a tokenizer this package uses;
// *tokenizer.Tokenizer satisfies it.
type Encoder interface {
	// EncodeBatch returns the ids of each text, out[i] for texts[i].
	EncodeBatch(texts []string, opt tokenizer.EncodeOptions) [][]int32
	// TokenID returns the id of a token such as "<|endoftext|>".
	TokenID(token string) (int32, bool)
}

// tokenID looks up a special token, defaulting to EOSToken when name is "".
func tokenID(enc Encoder, name string) (int32, error) {
	if name == "" {
		name = EOSToken
	}
	id, ok := enc.TokenID(name)
	if !ok {
		return 0, fmt.Errorf("dataset: the tokenizer has no token %q", name)
	}
	return id, nil
}

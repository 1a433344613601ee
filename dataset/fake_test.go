package dataset

import (
	"strings"

	"github.com/steady-ml/steady/tokenizer"
)

// byteEncoder is a fake tokenizer: each byte is one token, id byte+fakeBase;
// "<|endoftext|>" and "<|pad|>" are ids 1 and 2.
type byteEncoder struct{}

const fakeBase = 10

func (byteEncoder) EncodeBatch(texts []string, _ tokenizer.EncodeOptions) [][]int32 {
	out := make([][]int32, len(texts))
	for i, s := range texts {
		for _, b := range []byte(s) {
			out[i] = append(out[i], int32(b)+fakeBase)
		}
	}
	return out
}

func (byteEncoder) TokenID(token string) (int32, bool) {
	switch token {
	case EOSToken:
		return 1, true
	case "<|pad|>":
		return 2, true
	}
	return 0, false
}

// fakeText decodes ids of byteEncoder, writing EOS as "|", the pad id 2 as
// "." and IgnoreIndex as "_".
func fakeText(ids []int32) string {
	var b strings.Builder
	for _, id := range ids {
		switch id {
		case 1:
			b.WriteByte('|')
		case 2:
			b.WriteByte('.')
		case IgnoreIndex:
			b.WriteByte('_')
		default:
			b.WriteByte(byte(id - fakeBase))
		}
	}
	return b.String()
}

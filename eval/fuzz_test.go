package eval

import (
	"strings"
	"testing"
	"unicode"
)

// byteTokenizer maps each byte to its own id.
type byteTokenizer struct{}

func (byteTokenizer) Encode(s string) []int32 {
	ids := make([]int32, len(s))
	for i := range len(s) {
		ids[i] = int32(s[i])
	}
	return ids
}

func bytesOf(ids []int32) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b)
}

// FuzzEncodePair checks lm-eval's whitespace rule on any input: context and
// continuation still spell the original text, and the context ends in no
// whitespace Python's rstrip would remove.
func FuzzEncodePair(f *testing.F) {
	f.Add("Answer: ", "yes")
	f.Add("Q\n\n", " A")
	f.Add("x\u00a0\t", "y")
	f.Fuzz(func(t *testing.T, ctx, cont string) {
		if ctx == "" {
			return
		}
		p := EncodePair(byteTokenizer{}, ctx, cont, 0)
		c, k := bytesOf(p.Context), bytesOf(p.Continuation)
		if c+k != ctx+cont {
			t.Fatalf("%q + %q does not spell %q + %q", c, k, ctx, cont)
		}
		if c != strings.TrimRightFunc(c, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }) {
			t.Fatalf("context %q ends in whitespace", c)
		}
	})
}

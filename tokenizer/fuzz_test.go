package tokenizer

import (
	"slices"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzRoundTrip checks that Encode never panics, that Decode(Encode(s))
// gives back s for NFC text, its UTF-8 repair otherwise (when that is NFC),
// and that the word cache changes nothing.
func FuzzRoundTrip(f *testing.F) {
	for _, c := range preTokenizeCases {
		f.Add(c.in)
	}
	for _, s := range []string{"a  b", "a" + string(make([]byte, 30)) + "b", "<|endoftext|>  <|padding|>", "\xff\xfe", "e\u0301", "'s'S 's"} {
		f.Add(s)
	}
	tok := Default()
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		want := s
		if !utf8.ValidString(s) {
			want = string(appendLossy(nil, []byte(s)))
		}
		if norm.NFC.IsNormalString(want) {
			if got := tok.Decode(ids); got != want {
				t.Fatalf("Decode(Encode(%q)) = %q (ids %v)", s, got, ids)
			}
		}
		cold := tok.encode(newEncoder().(*encoder), nil, s, EncodeOptions{})
		if !slices.Equal(ids, cold) {
			t.Fatalf("Encode(%q): %v with a warm cache, %v with an empty one", s, ids, cold)
		}
	})
}

package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// TestAppendLossy checks the UTF-8 repair against Python's
// bytes.decode("utf-8", "replace"), which follows the same rule as Rust's
// String::from_utf8_lossy.
func TestAppendLossy(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"valid", "héllo 😀", "héllo 😀"},
		{"truncated 3-byte", "\xe2\x82", "\ufffd"},
		{"truncated 4-byte", "\xf0\x9f\x98", "\ufffd"},
		{"surrogate", "\xed\xa0\x80", "\ufffd\ufffd\ufffd"},
		{"overlong 2-byte", "\xc0\xaf", "\ufffd\ufffd"},
		{"overlong 3-byte", "\xe0\x80\x80", "\ufffd\ufffd\ufffd"},
		{"above U+10FFFF", "\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
		{"lone continuations", "a\x80\x80b", "a\ufffd\ufffdb"},
		{"mixed", "\xe2\x82x\xf0\x9f\x98\xed\xa0\x80\xc0\xff\xf4\x90", "\ufffdx\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(appendLossy(nil, []byte(c.in))); got != c.want {
				t.Errorf("appendLossy(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tok := Default()
	hello := tok.Encode("Hello")
	cases := []struct {
		name string
		ids  []int32
		opt  DecodeOptions
		want string
	}{
		{"specials kept", []int32{12092, 0, 14947}, DecodeOptions{}, "Hello<|endoftext|>World"},
		{"specials skipped", []int32{12092, 0, 1, 14947}, DecodeOptions{SkipSpecialTokens: true}, "HelloWorld"},
		{"space run token", []int32{66, 50276, 67}, DecodeOptions{}, "a  b"},
		{"padding rows skipped", append([]int32{-1, 50277, 50303, 1 << 30}, hello...), DecodeOptions{}, "Hello"},
		{"split character repaired", tok.Encode("😀")[:1], DecodeOptions{}, "\ufffd"},
		{"empty", nil, DecodeOptions{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := tok.DecodeWith(c.ids, c.opt); got != c.want {
				t.Errorf("DecodeWith(%v) = %q, want %q", c.ids, got, c.want)
			}
		})
	}
}

func TestTokenLookups(t *testing.T) {
	tok := Default()
	cases := []struct {
		token string
		id    int32
	}{{"Hello", 12092}, {"Ġworld", 1533}, {"ĠThe", 380}, {"<|endoftext|>", 0}, {"<|padding|>", 1}, {"  ", 50276}, {strings.Repeat(" ", 24), 50254}}
	for _, c := range cases {
		if id, ok := tok.TokenID(c.token); !ok || id != c.id {
			t.Errorf("TokenID(%q) = %d, %v; want %d", c.token, id, ok, c.id)
		}
		if s, ok := tok.Token(c.id); !ok || s != c.token {
			t.Errorf("Token(%d) = %q, %v; want %q", c.id, s, ok, c.token)
		}
	}
	if _, ok := tok.Token(50277); ok {
		t.Error("Token(50277) exists; GPT-NeoX has 50277 ids")
	}
	if n := tok.VocabSize(); n != 50277 {
		t.Errorf("VocabSize = %d, want 50277", n)
	}
	if !tok.IsSpecial(0) || tok.IsSpecial(50276) || tok.IsSpecial(12092) {
		t.Error("IsSpecial: want only <|endoftext|> and <|padding|> special")
	}
}

// TestInvalidUTF8 checks that invalid UTF-8 encodes as its repaired text.
func TestInvalidUTF8(t *testing.T) {
	tok := Default()
	for _, in := range []string{"a\xffb", "\xe2\x82 end", "\xc0\xc1\xf5\xfe", "ok\xed\xa0\x80<|endoftext|>\x80"} {
		repaired := string(appendLossy(nil, []byte(in)))
		got, want := tok.Encode(in), tok.Encode(repaired)
		if !slices.Equal(got, want) {
			t.Errorf("Encode(%q) = %v, want Encode(%q) = %v", in, got, repaired, want)
		}
		if d := tok.Decode(got); d != repaired {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", in, d, repaired)
		}
	}
}

package tokenizer

import (
	"slices"
	"testing"
)

// addedConfig is tinyConfig with added tokens exercising each option of
// tokenizers' AddedToken.
func addedConfig() map[string]any {
	cfg := tinyConfig()
	tok := func(id int, content string, special, normalized, lstrip, rstrip, single bool) map[string]any {
		return map[string]any{"id": id, "content": content, "special": special, "normalized": normalized,
			"lstrip": lstrip, "rstrip": rstrip, "single_word": single}
	}
	cfg["added_tokens"] = []any{
		tok(300, "[A]", true, false, false, false, false),
		tok(301, "my", false, false, true, true, false),
		tok(302, "ony", false, false, false, false, true),
		tok(303, "xy", false, false, false, false, false),
		tok(304, "xyz", false, false, false, false, false),
		tok(305, "yzw", false, false, false, false, false),
		tok(306, "\u2126", false, true, false, false, false), // OHM SIGN, NFC → Ω U+03A9
		tok(307, "  ", false, true, false, false, false),
	}
	return cfg
}

func bytesIDs(s string) []int32 {
	out := make([]int32, len(s))
	for i := range len(s) {
		out[i] = int32(s[i])
	}
	return out
}

func cat(parts ...[]int32) []int32 { return slices.Concat(parts...) }

func TestAddedTokens(t *testing.T) {
	tok, err := fromConfig(t, addedConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := bytesIDs
	one := func(id int32) []int32 { return []int32{id} }
	cases := []struct {
		name string
		in   string
		opt  EncodeOptions
		want []int32
	}{
		{"special anywhere", "q[A]r", EncodeOptions{}, cat(b("q"), one(300), b("r"))},
		{"special as text", "q[A]r", EncodeOptions{SpecialAsText: true}, b("q[A]r")},
		{"lstrip rstrip eat spaces", "q  my  r", EncodeOptions{}, cat(b("q"), one(301), b("r"))},
		{"lstrip stops at previous match", "[A] my", EncodeOptions{}, cat(one(300), one(301))},
		{"single word inside word", "Anthony", EncodeOptions{}, b("Anthony")},
		{"single word alone", "q ony!", EncodeOptions{}, cat(b("q "), one(302), b("!"))},
		{"single word after digit", "1ony", EncodeOptions{}, b("1ony")},
		{"leftmost longest", "xyzw", EncodeOptions{}, cat(one(304), b("w"))},
		{"leftmost wins over longer later", "qyzwxy", EncodeOptions{}, cat(b("q"), one(305), one(303))},
		{"normalized token matches NFC text", "q\u2126r", EncodeOptions{}, cat(b("q"), one(306), b("r"))},
		{"normalized token matches its NFC form", "q\u03a9r", EncodeOptions{}, cat(b("q"), one(306), b("r"))},
		{"normalized space run", "q   r", EncodeOptions{}, cat(b("q"), one(307), b(" r"))},
		{"raw then normalized", "[A]  r", EncodeOptions{}, cat(one(300), one(307), b("r"))},
		{"empty", "", EncodeOptions{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tok.AppendEncode(nil, c.in, c.opt)
			if !slices.Equal(got, c.want) {
				t.Errorf("AppendEncode(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestSpecialTokensGPTNeoX(t *testing.T) {
	tok := Default()
	cases := []struct {
		name string
		in   string
		opt  EncodeOptions
		want []int32
	}{
		{"endoftext is a special token", "Hello<|endoftext|>World", EncodeOptions{}, []int32{12092, 0, 14947}},
		{"padding is a special token", "<|padding|>", EncodeOptions{}, []int32{1}},
		{"endoftext as text", "<|endoftext|>", EncodeOptions{SpecialAsText: true}, []int32{29, 93, 423, 1171, 1156, 49651}},
		{"space runs are added tokens", "a  b", EncodeOptions{}, []int32{66, 50276, 67}},
		{"space runs kept with special as text", "a  b", EncodeOptions{SpecialAsText: true}, []int32{66, 50276, 67}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tok.AppendEncode(nil, c.in, c.opt)
			if !slices.Equal(got, c.want) {
				t.Errorf("AppendEncode(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

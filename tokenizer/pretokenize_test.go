package tokenizer

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// gpt2Pattern is the pattern nextWord implements, for the regexp2 oracle
// (a backtracking engine with lookahead; test-only).
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

var gpt2Regexp = regexp2.MustCompile(gpt2Pattern, regexp2.None)

func splitOracle(t testing.TB, s string) []string {
	var out []string
	m, err := gpt2Regexp.FindStringMatch(s)
	for ; m != nil && err == nil; m, err = gpt2Regexp.FindNextMatch(m) {
		out = append(out, m.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func splitWords(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := nextWord(s, i)
		out = append(out, s[i:j])
		i = j
	}
	return out
}

var preTokenizeCases = []struct{ name, in string }{
	{"empty", ""},
	{"words", "Hello world, it's 2024!"},
	{"contractions lower", "I'm you're we've he'll she'd it's don't"},
	{"contractions upper", "I'M YOU'RE WE'VE HE'LL SHE'D IT'S DON'T"},
	{"apostrophe after punct", "!'s ?'re"},
	{"space apostrophe", "a 's b 'll"},
	{"space runs before word", "a  b   c    d"},
	{"trailing spaces", "end   "},
	{"leading spaces", "   start"},
	{"lone space", " "},
	{"tabs and newlines", "a\tb\n\nc \n d\r\n"},
	{"space then newline then word", "x  \nfoo"},
	{"unicode spaces", "a\u3000b\u00a0c\u2003 d\u2028e\u0085f"},
	{"digits", "123 4567 8.9 ١٢٣ Ⅻ ½"},
	{"letters and marks", "café e\u0301 naïve ñ"},
	{"cjk", "漢字かなカナ 한국어"},
	{"emoji", "👋🏽 👨‍👩‍👧 🇫🇷!"},
	{"punct runs", "...!?;:--==>> <|endoftext|>"},
	{"code", "def f(x):\n    return x**2  # square\n"},
	{"only punct", "@#$%^&*()"},
	{"mixed classes", "abc123def!!!ghi   "},
}

func TestNextWordMatchesRegexp(t *testing.T) {
	for _, c := range preTokenizeCases {
		t.Run(c.name, func(t *testing.T) {
			got, want := splitWords(c.in), splitOracle(t, c.in)
			if !slices.Equal(got, want) {
				t.Errorf("split(%q)\n got %q\nwant %q", c.in, got, want)
			}
		})
	}
}

// TestNextWordMatchesRegexpOnGolden runs the oracle over every golden text.
func TestNextWordMatchesRegexpOnGolden(t *testing.T) {
	bad := 0
	lines := readGolden(t)
	for i, g := range lines {
		if got, want := splitWords(g.Text), splitOracle(t, g.Text); !slices.Equal(got, want) {
			bad++
			t.Errorf("line %d: split(%q)\n got %q\nwant %q", i+1, g.Text, got, want)
		}
	}
	t.Logf("%d/%d golden texts split as the regexp does", len(lines)-bad, len(lines))
}

func FuzzPreTokenize(f *testing.F) {
	for _, c := range preTokenizeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := splitWords(s)
		if strings.Join(got, "") != s {
			t.Fatalf("split(%q) = %q does not cover the input", s, got)
		}
		if !utf8.ValidString(s) {
			return // the oracle works on runes; invalid bytes are covered above
		}
		if want := splitOracle(t, s); !slices.Equal(got, want) {
			t.Fatalf("split(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}

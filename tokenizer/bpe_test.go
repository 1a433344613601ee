package tokenizer

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestMergeSmallMatchesHeap checks the linear merge loop against the
// priority-queue one (tokenizers' Word::merge_all) on the golden texts'
// words (when shared/ is present), on
// repetitive words where ties between equal pairs decide, and on random
// byte strings.
func TestMergeSmallMatchesHeap(t *testing.T) {
	tok := Default()
	words := []string{"a", "internationalization", " the", "  ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ababababababab",
		"0000000000000000", "..........", "\n\n\n\n", " 😀😀😀", "ееееееееее", "漢字漢字漢字"}
	if _, err := os.Stat(shared + "/fixtures/tokenizer/golden.jsonl"); err == nil {
		for _, g := range readGolden(t) {
			for i := 0; i < len(g.Text); {
				j := nextWord(g.Text, i)
				words = append(words, g.Text[i:j])
				i = j
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "aeiou tnsrl\n.'"
	for range 2000 {
		var sb strings.Builder
		for range 1 + rng.IntN(40) {
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		words = append(words, sb.String())
	}
	var s1, s2 mergeScratch
	for _, w := range words {
		a, b := make([]int32, len(w)), make([]int32, len(w))
		for i := range len(w) {
			a[i], b[i] = tok.byteID[w[i]], tok.byteID[w[i]]
		}
		small, heap := tok.merges.mergeSmall(a, &s1), tok.merges.mergeHeap(b, &s2)
		if !slices.Equal(small, heap) {
			t.Errorf("word %q: mergeSmall = %v, mergeHeap = %v", w, small, heap)
		}
	}
}

// TestLongWords checks words past smallWord, which take the heap path,
// against the same text cut into short words.
func TestLongWords(t *testing.T) {
	tok := Default()
	for _, n := range []int{smallWord - 1, smallWord, smallWord + 1, 1000, 100000} {
		w := strings.Repeat("a", n)
		ids := tok.Encode(w)
		if got := tok.Decode(ids); got != w {
			t.Errorf("%d a's: round trip gives %d bytes", n, len(got))
		}
	}
}

// TestEncodeAllocs checks that encoding with a warm word cache into a
// large enough dst allocates nothing.
func TestEncodeAllocs(t *testing.T) {
	tok := Default()
	text := "Once upon a time, a little girl named Lily found a shiny  red ball.\n<|endoftext|>"
	e := newEncoder().(*encoder)
	dst := tok.encode(e, nil, text, EncodeOptions{})
	if n := testing.AllocsPerRun(100, func() { dst = tok.encode(e, dst[:0], text, EncodeOptions{}) }); n != 0 {
		t.Errorf("encode allocates %v times per call with a warm cache, want 0", n)
	}
}

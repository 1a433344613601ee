package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// shared is the project's shared data folder, checked out beside the repo.
const shared = "../../shared"

// sharedFile returns the path of a file under shared/, or skips the test
// when it is absent.
func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	p := shared + "/" + rel
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared file %s is absent (the repo is normally checked out beside shared/): %v", p, err)
	}
	return p
}

type goldenLine struct {
	Text      string  `json:"text"`
	IDs       []int32 `json:"ids"`
	Source    string  `json:"source"`
	RoundTrip bool    `json:"roundtrip"`
	Decoded   *string `json:"decoded"`
}

func readGolden(t *testing.T) []goldenLine {
	t.Helper()
	f, err := os.Open(sharedFile(t, "fixtures/tokenizer/golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []goldenLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var g goldenLine
		if err := json.Unmarshal(sc.Bytes(), &g); err != nil {
			t.Fatalf("golden.jsonl line %d: %v", len(lines)+1, err)
		}
		lines = append(lines, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestGolden checks ids and decoded text against HF tokenizers on every
// line of fixtures/tokenizer/golden.jsonl, with the embedded tokenizer and
// with the shared tokenizer.json it was made from.
func TestGolden(t *testing.T) {
	lines := readGolden(t)
	fromFile, err := Load(sharedFile(t, "data/tokenizer/20B_tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tok  *Tokenizer
	}{{"embedded", Default()}, {"file", fromFile}} {
		t.Run(c.name, func(t *testing.T) {
			idOK, decOK := 0, 0
			for i, g := range lines {
				ids := c.tok.Encode(g.Text)
				if slices.Equal(ids, g.IDs) {
					idOK++
				} else {
					t.Errorf("line %d (%s) %q:\n got %v\nwant %v", i+1, g.Source, g.Text, ids, g.IDs)
				}
				want := g.Text
				if g.Decoded != nil {
					want = *g.Decoded
				}
				if got := c.tok.Decode(g.IDs); got == want && (got == g.Text) == g.RoundTrip {
					decOK++
				} else {
					t.Errorf("line %d (%s): Decode = %q, want %q", i+1, g.Source, got, want)
				}
			}
			t.Logf("%d/%d lines with identical ids, %d/%d decoded identically", idOK, len(lines), decOK, len(lines))
		})
	}
}

// TestBatchMatchesEncode checks that EncodeBatch gives Encode's ids, in order.
func TestBatchMatchesEncode(t *testing.T) {
	lines := readGolden(t)
	texts := make([]string, len(lines))
	for i, g := range lines {
		texts[i] = g.Text
	}
	tok := Default()
	for i, ids := range tok.EncodeBatch(texts, EncodeOptions{}) {
		if !slices.Equal(ids, lines[i].IDs) {
			t.Errorf("EncodeBatch line %d: got %v, want %v", i+1, ids, lines[i].IDs)
		}
	}
}

package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// corpusTexts returns the texts of a shared corpus file: each line (with
// its newline) of a .txt file, the "text" field of each line of a .jsonl
// file, or every non-empty string field of each record of a JSON array.
func corpusTexts(t *testing.T, rel string) []string {
	t.Helper()
	data, err := os.ReadFile(sharedFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasSuffix(rel, ".txt"):
		return strings.SplitAfter(string(data), "\n")
	case strings.HasSuffix(rel, ".jsonl"):
		var out []string
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var rec struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("%s line %d: %v", rel, len(out)+1, err)
			}
			out = append(out, rec.Text)
		}
		return out
	default:
		var recs []map[string]string
		if err := json.Unmarshal(data, &recs); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var out []string
		for _, r := range recs {
			for _, k := range []string{"instruction", "input", "output"} {
				if r[k] != "" {
					out = append(out, r[k])
				}
			}
		}
		return out
	}
}

var corpora = []string{
	"data/tinystories/tinystories_val.txt",
	"data/tinystories/tiny_stories.txt",
	"data/wikitext2/valid.txt",
	"data/wikitext2/test.txt",
	"data/llamafactory_pretrain_demo/c4_demo.jsonl",
	"data/llamafactory_pretrain_demo/wiki_demo.txt",
	"data/simplebooks92/valid.txt",
	"data/simplebooks92/test.txt",
	"data/alpaca/alpaca_5000.json",
}

// TestRoundTripCorpora checks Decode(Encode(x)) == x on every text of the
// shared corpora. Text not in NFC comes back in NFC, as from HF.
func TestRoundTripCorpora(t *testing.T) {
	tok := Default()
	for _, rel := range corpora {
		t.Run(rel, func(t *testing.T) {
			texts := corpusTexts(t, rel)
			ok, notNFC, nbytes := 0, 0, 0
			for i, x := range texts {
				want := x
				if !norm.NFC.IsNormalString(x) {
					want = norm.NFC.String(x)
					notNFC++
				}
				nbytes += len(x)
				if got := tok.Decode(tok.Encode(x)); got == want {
					ok++
				} else if t.Errorf("text %d: Decode(Encode(%q)) = %q", i+1, x, got); i+1-ok >= 10 {
					t.Fatal("stopping after 10 failures")
				}
			}
			t.Logf("%d/%d texts round-trip (%d not in NFC, compared with their NFC form), %d bytes", ok, len(texts), notNFC, nbytes)
		})
	}
}

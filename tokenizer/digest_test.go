package tokenizer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// corpusDigest is testdata/corpus_digest.json, written by
// bench/tokenizer/digest.mjs with HF tokenizers.js.
type corpusDigest struct {
	MadeWith string `json:"made_with"`
	Corpora  map[string]struct {
		Texts  int    `json:"texts"`
		Tokens int    `json:"tokens"`
		SHA256 string `json:"sha256"`
	} `json:"corpora"`
}

// TestCorpusDigest checks ids against HF tokenizers.js on every text of the
// shared corpora (67,686 texts, 2.2 M tokens), through a digest of the ids:
// per text, the id count and the ids as little-endian uint32, SHA-256'd.
func TestCorpusDigest(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus_digest.json")
	if err != nil {
		t.Fatal(err)
	}
	var want corpusDigest
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("testdata/corpus_digest.json: %v", err)
	}
	tok := Default()
	for _, rel := range corpora {
		t.Run(rel, func(t *testing.T) {
			w, ok := want.Corpora[rel]
			if !ok {
				t.Fatalf("testdata/corpus_digest.json has no entry for %s", rel)
			}
			h := sha256.New()
			n, ntok := 0, 0
			var buf []byte
			for _, text := range corpusTexts(t, rel) {
				if text == "" {
					continue
				}
				ids := tok.Encode(text)
				buf = binary.LittleEndian.AppendUint32(buf[:0], uint32(len(ids)))
				for _, id := range ids {
					buf = binary.LittleEndian.AppendUint32(buf, uint32(id))
				}
				h.Write(buf)
				n, ntok = n+1, ntok+len(ids)
			}
			if got := hex.EncodeToString(h.Sum(nil)); n != w.Texts || ntok != w.Tokens || got != w.SHA256 {
				t.Errorf("%d texts, %d tokens, sha256 %s; %s gives %d, %d, %s", n, ntok, got, want.MadeWith, w.Texts, w.Tokens, w.SHA256)
			}
		})
	}
}

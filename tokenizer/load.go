package tokenizer

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// gptNeoX20B is the GPT-NeoX-20B tokenizer.json, gzip-compressed (see
// data/NOTICE for its origin and licence).
//
//go:embed data/20B_tokenizer.json.gz
var gptNeoX20B []byte

// defaultJSON is the embedded tokenizer.json, decompressed once.
var defaultJSON = sync.OnceValue(func() []byte {
	zr, err := gzip.NewReader(bytes.NewReader(gptNeoX20B))
	if err != nil {
		panic("tokenizer: embedded 20B_tokenizer.json.gz: " + err.Error())
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		panic("tokenizer: embedded 20B_tokenizer.json.gz: " + err.Error())
	}
	return data
})

var defaultTokenizer = sync.OnceValue(func() *Tokenizer {
	t, err := FromJSON(defaultJSON())
	if err != nil {
		panic("tokenizer: embedded 20B_tokenizer.json.gz: " + err.Error())
	}
	return t
})

// Default returns the GPT-NeoX-20B tokenizer used by Pythia, Mamba and
// Mamba-2, embedded in the binary. It is parsed on first use and shared.
func Default() *Tokenizer { return defaultTokenizer() }

// DefaultJSON returns the embedded tokenizer.json, for writing next to a
// checkpoint steady creates. The caller must not modify it.
func DefaultJSON() []byte { return defaultJSON() }

// Load reads a tokenizer.json file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := FromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// fileJSON is the part of tokenizer.json this package reads. The
// post_processor is not read: Encode never adds special tokens.
type fileJSON struct {
	AddedTokens  []addedTokenJSON `json:"added_tokens"`
	Normalizer   *typedJSON       `json:"normalizer"`
	PreTokenizer *typedJSON       `json:"pre_tokenizer"`
	Decoder      *typedJSON       `json:"decoder"`
	Model        *modelJSON       `json:"model"`
}

type typedJSON struct {
	Type           string `json:"type"`
	AddPrefixSpace bool   `json:"add_prefix_space"`
	UseRegex       *bool  `json:"use_regex"`
}

type addedTokenJSON struct {
	ID         *int64 `json:"id"`
	Content    string `json:"content"`
	Special    bool   `json:"special"`
	Normalized bool   `json:"normalized"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
}

type modelJSON struct {
	Type                    string            `json:"type"`
	Dropout                 *float64          `json:"dropout"`
	UnkToken                *string           `json:"unk_token"`
	ContinuingSubwordPrefix *string           `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string           `json:"end_of_word_suffix"`
	ByteFallback            bool              `json:"byte_fallback"`
	IgnoreMerges            bool              `json:"ignore_merges"`
	Vocab                   map[string]int64  `json:"vocab"`
	Merges                  []json.RawMessage `json:"merges"`
}

// parseMerge reads one merge, written "a b" (older files) or ["a", "b"].
func parseMerge(raw json.RawMessage) ([2]string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		a, b, ok := strings.Cut(s, " ")
		if !ok || strings.Contains(b, " ") {
			return [2]string{}, fmt.Errorf("%q is not two tokens separated by one space", s)
		}
		return [2]string{a, b}, nil
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return [2]string{}, fmt.Errorf("%s is neither \"a b\" nor [\"a\", \"b\"]", raw)
	}
	return [2]string{pair[0], pair[1]}, nil
}

// maxID bounds token ids, so that a corrupt file cannot ask for a huge table.
const maxID = 1 << 21

// FromJSON parses the contents of an HF tokenizer.json. It accepts the
// GPT-2 family: a BPE model over the byte-level alphabet, an NFC normalizer
// or none, a ByteLevel pre-tokenizer and a ByteLevel decoder.
// Anything else is an error naming the field.
func FromJSON(data []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("tokenizer.json: %w", err)
	}
	t := &Tokenizer{}
	if err := t.setPipeline(&f); err != nil {
		return nil, err
	}
	if err := t.setModel(f.Model); err != nil {
		return nil, err
	}
	if err := t.setAdded(f.AddedTokens); err != nil {
		return nil, err
	}
	t.buildDecodeTable()
	t.pool.New = func() any { return newEncoder() }
	return t, nil
}

func (t *Tokenizer) setPipeline(f *fileJSON) error {
	if n := f.Normalizer; n != nil {
		if n.Type != "NFC" {
			return fmt.Errorf("normalizer.type: %q is not supported (want \"NFC\" or a null normalizer)", n.Type)
		}
		t.nfc = true
	}
	p := f.PreTokenizer
	if p == nil {
		return fmt.Errorf("pre_tokenizer: missing (want ByteLevel)")
	}
	if p.Type != "ByteLevel" {
		return fmt.Errorf("pre_tokenizer.type: %q is not supported (want \"ByteLevel\")", p.Type)
	}
	t.addPrefixSpace = p.AddPrefixSpace
	t.useRegex = p.UseRegex == nil || *p.UseRegex
	// Without a decoder HF joins tokens with spaces; no file of this family
	// does that, so a decoder is required.
	if d := f.Decoder; d == nil {
		return fmt.Errorf("decoder: missing (want ByteLevel)")
	} else if d.Type != "ByteLevel" {
		return fmt.Errorf("decoder.type: %q is not supported (want \"ByteLevel\")", d.Type)
	}
	return nil
}

func (t *Tokenizer) setModel(m *modelJSON) error {
	switch {
	case m == nil:
		return fmt.Errorf("model: missing")
	case m.Type != "" && m.Type != "BPE":
		return fmt.Errorf("model.type: %q is not supported (want \"BPE\")", m.Type)
	case m.Dropout != nil && *m.Dropout != 0:
		return fmt.Errorf("model.dropout: %v is not supported (want null)", *m.Dropout)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return fmt.Errorf("model.continuing_subword_prefix: %q is not supported", *m.ContinuingSubwordPrefix)
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return fmt.Errorf("model.end_of_word_suffix: %q is not supported", *m.EndOfWordSuffix)
	case m.ByteFallback:
		return fmt.Errorf("model.byte_fallback: true is not supported")
	case len(m.Vocab) == 0:
		return fmt.Errorf("model.vocab: missing or empty")
	}
	t.ignoreMerges = m.IgnoreMerges
	t.vocab = make(map[string]int32, len(m.Vocab))
	size := int64(0)
	for tok, id := range m.Vocab {
		if id < 0 || id >= maxID {
			return fmt.Errorf("model.vocab[%q]: id %d out of range [0, %d)", tok, id, maxID)
		}
		t.vocab[tok] = int32(id)
		size = max(size, id+1)
	}
	t.tokens = make([]string, size)
	t.known = make([]bool, size)
	for tok, id := range t.vocab {
		if t.known[id] {
			return fmt.Errorf("model.vocab: id %d is used by both %q and %q", id, min(tok, t.tokens[id]), max(tok, t.tokens[id]))
		}
		t.tokens[id], t.known[id] = tok, true
	}
	for b, r := range byteToRune {
		id, ok := t.vocab[string(r)]
		switch {
		case ok:
			t.byteID[b] = id
		case utf8Byte(byte(b)):
			return fmt.Errorf("model.vocab: no token for byte 0x%02x (%q); a byte-level BPE needs one for every byte of UTF-8", b, string(r))
		default:
			t.byteID[b] = -1 // 0xC0, 0xC1, 0xF5..0xFF: never in UTF-8, so never looked up
		}
	}
	t.merges = newMergeTable(len(m.Merges))
	for i, raw := range m.Merges {
		mg, err := parseMerge(raw)
		if err != nil {
			return fmt.Errorf("model.merges[%d]: %w", i, err)
		}
		a, okA := t.vocab[mg[0]]
		b, okB := t.vocab[mg[1]]
		c, okC := t.vocab[mg[0]+mg[1]]
		if !okA || !okB || !okC {
			return fmt.Errorf("model.merges[%d]: %q %q: token %q is not in model.vocab", i, mg[0], mg[1], missing(okA, okB, mg))
		}
		t.merges.set(pairKey(a, b), uint64(i)<<32|uint64(uint32(c)))
	}
	return nil
}

// utf8Byte reports whether b can occur in valid UTF-8.
func utf8Byte(b byte) bool { return b != 0xC0 && b != 0xC1 && b < 0xF5 }

func missing(okA, okB bool, mg [2]string) string {
	switch {
	case !okA:
		return mg[0]
	case !okB:
		return mg[1]
	}
	return mg[0] + mg[1]
}

// setAdded reads "added_tokens". A token's id is its "id"; when its content
// is also in the model's vocab the two ids must agree.
func (t *Tokenizer) setAdded(list []addedTokenJSON) error {
	var raw, normalized []addedToken
	var rawPat, normPat []string
	t.added = make(map[int32]addedToken, len(list))
	t.addedIDs = make(map[string]int32, len(list))
	for i, a := range list {
		switch {
		case a.ID == nil:
			return fmt.Errorf("added_tokens[%d].id: missing", i)
		case *a.ID < 0 || *a.ID >= maxID:
			return fmt.Errorf("added_tokens[%d].id: %d out of range [0, %d)", i, *a.ID, maxID)
		case a.Content == "":
			return fmt.Errorf("added_tokens[%d].content: empty", i)
		}
		id := int32(*a.ID)
		if v, ok := t.vocab[a.Content]; ok && v != id {
			return fmt.Errorf("added_tokens[%d].id: %d, but model.vocab gives %q id %d", i, id, a.Content, v)
		}
		if int(id) < len(t.tokens) && t.known[id] && t.tokens[id] != a.Content {
			return fmt.Errorf("added_tokens[%d].id: %d is %q in model.vocab, not %q", i, id, t.tokens[id], a.Content)
		}
		if prev, ok := t.added[id]; ok && prev.content != a.Content {
			return fmt.Errorf("added_tokens[%d].id: %d is already %q", i, id, prev.content)
		}
		tok := addedToken{content: a.Content, id: id, special: a.Special, normalized: a.Normalized,
			lstrip: a.LStrip, rstrip: a.RStrip, singleWord: a.SingleWord}
		t.added[id] = tok
		t.addedIDs[tok.content] = id
		if tok.normalized {
			normalized = append(normalized, tok)
			normPat = append(normPat, t.normalize(tok.content))
		} else {
			raw = append(raw, tok)
			rawPat = append(rawPat, tok.content)
		}
	}
	t.rawAdded = newAddedMatcher(raw, rawPat)
	t.normAdded = newAddedMatcher(normalized, normPat)
	return nil
}

// normalize applies the normalizer: NFC, or nothing.
func (t *Tokenizer) normalize(s string) string {
	if !t.nfc || isASCII(s) || norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

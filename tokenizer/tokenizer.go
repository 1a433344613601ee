package tokenizer

import "sync"

// Tokenizer encodes text to token ids and decodes ids to text. It is
// immutable once loaded and safe for concurrent use.
type Tokenizer struct {
	nfc            bool // normalizer: NFC
	addPrefixSpace bool // pre_tokenizer.add_prefix_space
	useRegex       bool // pre_tokenizer.use_regex
	ignoreMerges   bool // model.ignore_merges: a word in the vocab is one token

	vocab  map[string]int32 // model.vocab: byte-level token → id
	tokens []string         // id → byte-level token, model.vocab only
	known  []bool           // known[id]: id is in model.vocab
	byteID [256]int32       // the id of each byte's one-character token
	merges mergeTable

	added     map[int32]addedToken // by id
	addedIDs  map[string]int32     // added token content → id
	rawAdded  *addedMatcher        // added tokens with normalized: false
	normAdded *addedMatcher        // added tokens with normalized: true

	decodeOff []int32 // id → its bytes, decodeBuf[decodeOff[id]:decodeOff[id+1]]
	decodeBuf []byte
	decodeOK  []bool // decodeOK[id]: id is a token
	special   []bool // special[id]: id is a special added token

	pool sync.Pool // of *encoder
}

// EncodeOptions changes how text is encoded. The zero value is what HF
// tokenizers does by default.
type EncodeOptions struct {
	// SpecialAsText encodes special tokens such as <|endoftext|> found in
	// the text as ordinary text instead of as their ids (tokenizers'
	// encode_special_tokens). Non-special added tokens, such as GPT-NeoX's
	// runs of spaces, are still matched.
	SpecialAsText bool
}

// Encode returns the ids of text. Special tokens in the text (for GPT-NeoX,
// <|endoftext|> and <|padding|>) become their ids; none are added.
func (t *Tokenizer) Encode(text string) []int32 {
	return t.AppendEncode(nil, text, EncodeOptions{})
}

// AppendEncode appends the ids of text to dst and returns the extended
// slice.
//
// Text that is not valid UTF-8 is first repaired as Rust's
// String::from_utf8_lossy and Python's bytes.decode(errors="replace") do:
// each maximal invalid subsequence becomes U+FFFD. HF tokenizers only
// accepts valid strings, so its callers must make that same repair; the ids
// are then those HF gives for the repaired text.
func (t *Tokenizer) AppendEncode(dst []int32, text string, opt EncodeOptions) []int32 {
	e := t.pool.Get().(*encoder)
	dst = t.encode(e, dst, text, opt)
	t.pool.Put(e)
	return dst
}

// VocabSize returns one more than the largest token id.
func (t *Tokenizer) VocabSize() int { return len(t.decodeOK) }

// TokenID returns the id of a token: an added token's content, or a model
// token in its byte-level spelling ("Ġworld" for " world").
func (t *Tokenizer) TokenID(token string) (int32, bool) {
	if id, ok := t.addedIDs[token]; ok {
		return id, true
	}
	id, ok := t.vocab[token]
	return id, ok
}

// Token returns the token of an id, in the spelling TokenID accepts.
func (t *Tokenizer) Token(id int32) (string, bool) {
	if a, ok := t.added[id]; ok {
		return a.content, true
	}
	if id < 0 || int(id) >= len(t.tokens) || !t.known[id] {
		return "", false
	}
	return t.tokens[id], true
}

// IsSpecial reports whether id is a special token (an added token with
// "special": true).
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

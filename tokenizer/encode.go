package tokenizer

import "unicode/utf8"

// encode runs the pipeline of tokenizers' Tokenizer::encode: cut out the
// raw added tokens, normalize each remaining piece, cut out the normalized
// added tokens, pre-tokenize, BPE.
func (t *Tokenizer) encode(e *encoder, dst []int32, text string, opt EncodeOptions) []int32 {
	if !utf8.ValidString(text) {
		text = string(appendLossy(make([]byte, 0, len(text)+8), []byte(text)))
	}
	pos, prevStop := 0, 0
	for {
		m, ok := t.rawAdded.find(text, pos, prevStop, opt.SpecialAsText)
		if !ok {
			break
		}
		if prevStop < m.start {
			dst = t.encodeNormalized(e, dst, t.normalize(text[prevStop:m.start]), opt)
		}
		dst = append(dst, m.id)
		pos, prevStop = m.resume, m.stop
	}
	if prevStop < len(text) {
		dst = t.encodeNormalized(e, dst, t.normalize(text[prevStop:]), opt)
	}
	return dst
}

// encodeNormalized encodes a normalized piece of text.
func (t *Tokenizer) encodeNormalized(e *encoder, dst []int32, text string, opt EncodeOptions) []int32 {
	pos, prevStop := 0, 0
	for {
		m, ok := t.normAdded.find(text, pos, prevStop, opt.SpecialAsText)
		if !ok {
			break
		}
		if prevStop < m.start {
			dst = t.encodeWords(e, dst, text[prevStop:m.start])
		}
		dst = append(dst, m.id)
		pos, prevStop = m.resume, m.stop
	}
	if prevStop < len(text) {
		dst = t.encodeWords(e, dst, text[prevStop:])
	}
	return dst
}

// encodeWords pre-tokenizes a non-empty piece and encodes each word.
func (t *Tokenizer) encodeWords(e *encoder, dst []int32, text string) []int32 {
	if t.addPrefixSpace && text[0] != ' ' {
		text = " " + text
	}
	if !t.useRegex {
		return t.encodeWord(e, dst, text)
	}
	for i := 0; i < len(text); {
		j := nextWord(text, i)
		dst = t.encodeWord(e, dst, text[i:j])
		i = j
	}
	return dst
}

// encodeWord appends the BPE ids of one pre-token, through the word cache.
func (t *Tokenizer) encodeWord(e *encoder, dst []int32, word string) []int32 {
	if ids, ok := e.lookup(word); ok {
		return append(dst, ids...)
	}
	sym := e.sym[:0]
	if t.ignoreMerges {
		if id, ok := t.vocab[byteLevelString(word)]; ok {
			sym = append(sym, id)
		}
	}
	if len(sym) == 0 {
		for i := 0; i < len(word); i++ {
			sym = append(sym, t.byteID[word[i]])
		}
		sym = t.merges.merge(sym, &e.scratch)
	}
	e.sym = sym
	e.store(word, sym)
	return append(dst, sym...)
}

// encoder is the per-goroutine state of encoding: the BPE word cache and
// scratch space. Tokenizer keeps a pool of them.
type encoder struct {
	cache   map[string]uint64 // word → offset<<32 | count of its ids in arena
	arena   []int32
	sym     []int32
	scratch mergeScratch
}

const (
	cacheMaxWords   = 1 << 16 // the cache is emptied when it holds this many words
	cacheMaxWordLen = 64      // longer words are not cached
)

func newEncoder() any {
	return &encoder{cache: make(map[string]uint64, 1024)}
}

func (e *encoder) lookup(word string) ([]int32, bool) {
	v, ok := e.cache[word]
	if !ok {
		return nil, false
	}
	off, n := uint32(v>>32), uint32(v)
	return e.arena[off : off+n], true
}

func (e *encoder) store(word string, ids []int32) {
	if len(word) > cacheMaxWordLen {
		return
	}
	if len(e.cache) >= cacheMaxWords {
		clear(e.cache)
		e.arena = e.arena[:0]
	}
	e.cache[string([]byte(word))] = uint64(len(e.arena))<<32 | uint64(len(ids))
	e.arena = append(e.arena, ids...)
}

package tokenizer

import "unicode/utf8"

// DecodeOptions changes how ids are decoded. The zero value keeps special
// tokens, as the golden fixtures do.
type DecodeOptions struct {
	// SkipSpecialTokens leaves special tokens (<|endoftext|>, <|padding|>)
	// out of the text.
	SkipSpecialTokens bool
}

// Decode returns the text of ids, keeping special tokens. Ids that are no
// token (such as the padding rows of a model's embedding, 50277..50303 for
// Pythia) are skipped, as tokenizers does. Byte sequences that are not
// UTF-8 (a character cut between ids) become U+FFFD, one per maximal invalid
// subsequence, as Rust's String::from_utf8_lossy does.
func (t *Tokenizer) Decode(ids []int32) string {
	return t.DecodeWith(ids, DecodeOptions{})
}

// DecodeWith is Decode with options.
func (t *Tokenizer) DecodeWith(ids []int32, opt DecodeOptions) string {
	b := t.AppendBytes(nil, ids, opt)
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendLossy(make([]byte, 0, len(b)+8), b))
}

// AppendBytes appends the raw bytes of ids to dst: Decode without the
// UTF-8 repair. A character may be split between ids, so the bytes of a
// prefix of ids need not be valid UTF-8; streaming decoders hold such a
// tail back until the next id completes it.
func (t *Tokenizer) AppendBytes(dst []byte, ids []int32, opt DecodeOptions) []byte {
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.decodeOK) || !t.decodeOK[id] {
			continue
		}
		if opt.SkipSpecialTokens && t.special[id] {
			continue
		}
		dst = append(dst, t.decodeBuf[t.decodeOff[id]:t.decodeOff[id+1]]...)
	}
	return dst
}

// buildDecodeTable precomputes the bytes of every id: the ByteLevel
// decoding of its token, added tokens taking precedence over model.vocab
// as in tokenizers' Tokenizer::decode.
func (t *Tokenizer) buildDecodeTable() {
	n := len(t.tokens)
	for id := range t.added {
		n = max(n, int(id)+1)
	}
	t.decodeOff = make([]int32, n+1)
	t.decodeOK = make([]bool, n)
	t.special = make([]bool, n)
	t.decodeBuf = t.decodeBuf[:0]
	for id := range n {
		t.decodeOff[id] = int32(len(t.decodeBuf))
		tok, ok := t.Token(int32(id))
		if !ok {
			continue
		}
		t.decodeOK[id] = true
		t.special[id] = t.added[int32(id)].special
		t.decodeBuf = append(t.decodeBuf, byteLevelDecode(tok)...)
	}
	t.decodeOff[n] = int32(len(t.decodeBuf))
}

// appendLossy appends b to dst with each maximal invalid UTF-8 subsequence
// replaced by U+FFFD (Unicode §3.9 "substitution of maximal subparts", the
// rule of Rust's from_utf8_lossy; Go's strings.ToValidUTF8 instead merges a
// run of invalid bytes into one U+FFFD).
func appendLossy(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			dst = append(dst, b[i])
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			dst = append(dst, b[i:i+n]...)
			i += n
			continue
		}
		dst = append(dst, "\uFFFD"...)
		i += maximalSubpart(b[i:])
	}
	return dst
}

// maximalSubpart returns the length of the invalid sequence at the start of
// b: a lead byte and the continuation bytes that could still have
// completed it.
func maximalSubpart(b []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	k := 1
	for k <= need && k < len(b) && b[k] >= lo && b[k] <= hi {
		k++
		lo, hi = 0x80, 0xBF
	}
	return k
}

package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Added tokens are cut out of the text before pre-tokenization, as
// tokenizers' AddedVocabulary::extract_and_normalize does: tokens with
// "normalized": false are matched on the raw text, then each remaining piece
// is normalized and tokens with "normalized": true are matched on it (their
// content normalized the same way). Matching is Aho-Corasick leftmost-longest
// and non-overlapping; lstrip, rstrip and single_word then adjust or discard
// each match exactly as AddedVocabulary::find_matches does.

// addedToken is one entry of "added_tokens".
type addedToken struct {
	content    string
	id         int32
	special    bool
	normalized bool
	lstrip     bool
	rstrip     bool
	singleWord bool
}

// addedMatcher finds one set of added tokens (the raw or the normalized set)
// with a byte trie.
type addedMatcher struct {
	first     [256]bool // first[b]: some pattern starts with byte b
	nFirst    int       // how many bytes start a pattern
	firstByte byte      // the byte, when nFirst is 1
	oneByte   [256]bool // oneByte[b]: b alone is a pattern
	// second[a][b>>6]&(1<<(b&63)) != 0: some pattern starts with bytes a, b.
	// Most candidate positions (every space, for GPT-NeoX) fail there.
	second [256][4]uint64
	nodes  []trieNode
	tokens []addedToken // the token of a pattern, by trieNode.token
}

type trieNode struct {
	edges []trieEdge
	token int32 // index in addedMatcher.tokens of the pattern ending here, or -1
}

type trieEdge struct {
	b    byte
	node int32
}

// newAddedMatcher builds a matcher for tokens; patterns[i] is what token i
// matches (its content, normalized when the token is). Of two equal
// patterns the first is kept, as in aho-corasick.
func newAddedMatcher(tokens []addedToken, patterns []string) *addedMatcher {
	m := &addedMatcher{nodes: []trieNode{{token: -1}}, tokens: tokens}
	for ti, p := range patterns {
		if p == "" {
			continue
		}
		if !m.first[p[0]] {
			m.first[p[0]] = true
			m.nFirst++
			m.firstByte = p[0]
		}
		if len(p) == 1 {
			m.oneByte[p[0]] = true
		} else {
			m.second[p[0]][p[1]>>6] |= 1 << (p[1] & 63)
		}
		n := int32(0)
		for i := 0; i < len(p); i++ {
			n = m.child(n, p[i], true)
		}
		if m.nodes[n].token < 0 {
			m.nodes[n].token = int32(ti)
		}
	}
	return m
}

func (m *addedMatcher) child(n int32, b byte, create bool) int32 {
	for _, e := range m.nodes[n].edges {
		if e.b == b {
			return e.node
		}
	}
	if !create {
		return -1
	}
	m.nodes = append(m.nodes, trieNode{token: -1})
	c := int32(len(m.nodes) - 1)
	m.nodes[n].edges = append(m.nodes[n].edges, trieEdge{b, c})
	return c
}

// longestAt returns the longest pattern that starts at s[i]: its token index
// and end, or -1.
func (m *addedMatcher) longestAt(s string, i int) (tok int32, end int) {
	tok = -1
	n := int32(0)
	for j := i; j < len(s); j++ {
		if n = m.child(n, s[j], false); n < 0 {
			break
		}
		if t := m.nodes[n].token; t >= 0 {
			tok, end = t, j+1
		}
	}
	return tok, end
}

// addedMatch is one accepted match: the token covers s[start:stop] (stop
// includes rstrip'ed spaces), and the search resumes at s[resume:], where the
// pattern itself ended.
type addedMatch struct {
	start, stop, resume int
	id                  int32
}

// find returns the first accepted match in s at or after from. prevStop is
// where the previous accepted match stopped (find_matches' start_offset):
// lstrip never reaches back past it. Special tokens are passed over when
// specialAsText is set, and their text is not searched again for shorter
// patterns, as in tokenizers.
func (m *addedMatcher) find(s string, from, prevStop int, specialAsText bool) (addedMatch, bool) {
	if m.nFirst == 0 {
		return addedMatch{}, false
	}
	for i := from; i < len(s); i++ {
		if i = m.nextCandidate(s, i); i < 0 {
			break
		}
		ti, end := m.longestAt(s, i)
		if ti < 0 {
			continue
		}
		tok := &m.tokens[ti]
		if (specialAsText && tok.special) || (tok.singleWord && !singleWordAt(s, i, end)) {
			i = end - 1
			continue
		}
		start, stop := i, end
		if tok.lstrip {
			start = max(trailingSpaceStart(s[:i]), prevStop)
		}
		if tok.rstrip {
			stop += leadingSpaceLen(s[end:])
		}
		return addedMatch{start: start, stop: stop, resume: end, id: tok.id}, true
	}
	return addedMatch{}, false
}

// nextCandidate returns the first position at or after i where a pattern
// may start, or -1.
func (m *addedMatcher) nextCandidate(s string, i int) int {
	for ; i < len(s); i++ {
		if m.nFirst == 1 {
			k := strings.IndexByte(s[i:], m.firstByte)
			if k < 0 {
				return -1
			}
			i += k
		} else if !m.first[s[i]] {
			continue
		}
		a := s[i]
		if m.oneByte[a] {
			return i
		}
		if i+1 < len(s) && m.second[a][s[i+1]>>6]&(1<<(s[i+1]&63)) != 0 {
			return i
		}
	}
	return -1
}

// singleWordAt reports whether s[i:end] is neither preceded nor followed by a
// word character (regex \w).
func singleWordAt(s string, i, end int) bool {
	if i > 0 {
		if r, _ := utf8.DecodeLastRuneInString(s[:i]); isWordChar(r) {
			return false
		}
	}
	if end < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[end:]); isWordChar(r) {
			return false
		}
	}
	return true
}

// isWordChar is Rust regex's Unicode \w: Alphabetic, marks, decimal digits,
// connector punctuation and the joiners.
func isWordChar(r rune) bool {
	return unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc, unicode.Other_Alphabetic) ||
		r == 0x200C || r == 0x200D
}

// trailingSpaceStart returns where the run of whitespace that ends s starts.
func trailingSpaceStart(s string) int {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !unicode.IsSpace(r) || (r == utf8.RuneError && n == 1) {
			break
		}
		s = s[:len(s)-n]
	}
	return len(s)
}

// leadingSpaceLen returns the length of the run of whitespace that starts s.
func leadingSpaceLen(s string) int {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}

package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// The ByteLevel pre-tokenizer splits text with the GPT-2 pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// keeping every match as its own piece (tokenizers' SplitDelimiterBehavior
// Isolated). Go's regexp has no lookahead, so nextWord below is that pattern
// written out by hand; the tests check it against a backtracking regexp.
// Alternatives are tried in order at each position, as a backtracking regexp
// does: the first that matches wins, not the longest.

// charClass is the class of a character in the pattern above.
type charClass uint8

const (
	classOther  charClass = iota // [^\s\p{L}\p{N}], and every invalid UTF-8 byte
	classLetter                  // \p{L}
	classNumber                  // \p{N}
	classSpace                   // \s: Unicode White_Space
)

var asciiClass = func() (t [utf8.RuneSelf]charClass) {
	for c := range utf8.RuneSelf {
		t[c] = classOf(rune(c))
	}
	return t
}()

func classOf(r rune) charClass {
	switch {
	case unicode.IsLetter(r):
		return classLetter
	case unicode.IsNumber(r):
		return classNumber
	case unicode.IsSpace(r):
		return classSpace
	}
	return classOther
}

// classAt returns the class and byte width of the character at s[i]. An
// invalid UTF-8 byte is one character of classOther: it is still byte-level
// encoded, never dropped or replaced.
func classAt(s string, i int) (charClass, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n == 1 {
		return classOther, 1
	}
	return classOf(r), n
}

// nextWord returns the end of the pre-token that starts at s[i], i < len(s).
func nextWord(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s[i+1:]); n > 0 {
			return i + 1 + n
		}
	}
	cls, n := classAt(s, i)
	j := i + n
	if s[i] == ' ' && j < len(s) {
		// " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+" with the optional space.
		if next, m := classAt(s, j); next != classSpace {
			return runEnd(s, j+m, next)
		}
	}
	if cls != classSpace {
		return runEnd(s, j, cls)
	}
	// "\s+(?!\S)" takes the whitespace run, less its last character when a
	// non-space follows (that character then starts the next piece, e.g. the
	// space of " world"); a lone whitespace character before a non-space is
	// left to "\s+".
	end := runEnd(s, j, classSpace)
	if end == len(s) {
		return end
	}
	_, last := utf8.DecodeLastRuneInString(s[:end])
	if end-last > i {
		return end - last
	}
	return end
}

// runEnd returns the end of the run of class cls that continues at s[j].
func runEnd(s string, j int, cls charClass) int {
	for j < len(s) {
		if b := s[j]; b < utf8.RuneSelf {
			if asciiClass[b] != cls {
				break
			}
			j++
			continue
		}
		c, n := classAt(s, j)
		if c != cls {
			break
		}
		j += n
	}
	return j
}

// contraction returns the length of the suffix ('s 't 're 've 'm 'll 'd,
// lower case only) at the start of rest, or 0.
func contraction(rest string) int {
	if len(rest) == 0 {
		return 0
	}
	switch rest[0] {
	case 's', 't', 'm', 'd':
		return 1
	case 'r', 'v':
		if len(rest) > 1 && rest[1] == 'e' {
			return 2
		}
	case 'l':
		if len(rest) > 1 && rest[1] == 'l' {
			return 2
		}
	}
	return 0
}

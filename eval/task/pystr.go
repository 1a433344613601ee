package task

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyCapitalize is Python's str.capitalize: the first character upper
// (title) case, the rest lower case.
func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToTitle(r)) + strings.ToLower(s[n:])
}

// pyStrip is Python's str.strip() with no argument.
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyLstrip is Python's str.lstrip() with no argument.
func pyLstrip(s string) string { return strings.TrimLeftFunc(s, pyIsSpace) }

package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Split says how a plain-text file is cut into documents. Lines that are
// empty or hold only white space are blank; documents never begin or end
// with a blank line, and a document with no other line is no document.
type Split int

const (
	// SplitLines makes each non-blank line a document (wiki_demo.txt,
	// HF's "text" loader).
	SplitLines Split = iota
	// SplitParagraphs makes each run of non-blank lines, separated by blank
	// lines, a document (simplebooks92, tinyshakespeare's speeches).
	SplitParagraphs
	// SplitStories ends a document wherever two non-blank lines follow each
	// other; blank lines separate paragraphs inside a document. This is the
	// layout of "\n".join(stories) when stories hold "\n\n" paragraph breaks,
	// as tinystories/tiny_stories.txt does.
	SplitStories
	// SplitWikiText starts a document at each top-level WikiText heading, a
	// line " = Title = " (subsections " = = Section = = " stay inside).
	SplitWikiText
	// SplitSeparator cuts the text at each occurrence of
	// DocumentOptions.Separator, a line "<eob>" in simplebooks92, or
	// "<|endoftext|>" in GPT-NeoX-style dumps.
	SplitSeparator
	// SplitNone makes the whole file one document (tinyshakespeare as
	// nanoGPT reads it).
	SplitNone
)

var splitNames = [...]string{"lines", "paragraphs", "stories", "wikitext", "separator", "none"}

// String returns the name ParseSplit accepts.
func (s Split) String() string {
	if s >= 0 && int(s) < len(splitNames) {
		return splitNames[s]
	}
	return fmt.Sprintf("Split(%d)", int(s))
}

// ParseSplit returns the Split named s: lines, paragraphs, stories,
// wikitext, separator or none.
func ParseSplit(s string) (Split, error) {
	for i, name := range splitNames {
		if s == name {
			return Split(i), nil
		}
	}
	return 0, fmt.Errorf("dataset: unknown split %q (want one of %s)", s, strings.Join(splitNames[:], ", "))
}

// DocumentOptions says how ReadDocuments reads a file.
type DocumentOptions struct {
	// Split cuts plain-text files into documents.
	Split Split
	// Separator is what SplitSeparator cuts at; "" means "<|endoftext|>".
	Separator string
	// Field is the text field of .jsonl and .json records; "" means "text".
	Field string
}

// ReadDocuments reads the documents of a corpus file: a .jsonl or .json file
// gives one document per record's text field, which must be a string; any
// other file is plain text cut by opt.Split.
func ReadDocuments(path string, opt DocumentOptions) ([]string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return readTextRecords(path, opt.Field)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	docs, err := SplitText(string(data), opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return docs, nil
}

func readTextRecords(path, field string) ([]string, error) {
	if field == "" {
		field = "text"
	}
	recs, err := readRecordsFile(path)
	if err != nil {
		return nil, err
	}
	docs := make([]string, len(recs))
	for i, r := range recs {
		if docs[i], err = r.required(path, field); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// SplitText cuts text into documents as opt.Split says.
func SplitText(text string, opt DocumentOptions) ([]string, error) {
	lines := lineSpans(text)
	switch opt.Split {
	case SplitLines:
		return group(text, lines, func(int) bool { return true }), nil
	case SplitParagraphs:
		return group(text, lines, func(i int) bool { return lines[i-1].blank }), nil
	case SplitStories:
		return group(text, lines, func(i int) bool { return !lines[i-1].blank && !lines[i].blank }), nil
	case SplitWikiText:
		return group(text, lines, func(i int) bool { return isWikiTitle(text[lines[i].start:lines[i].end]) }), nil
	case SplitSeparator:
		sep := opt.Separator
		if sep == "" {
			sep = EOSToken
		}
		var docs []string
		for piece := range strings.SplitSeq(text, sep) {
			docs = append(docs, group(piece, lineSpans(piece), func(int) bool { return false })...)
		}
		return docs, nil
	case SplitNone:
		return group(text, lines, func(int) bool { return false }), nil
	}
	return nil, fmt.Errorf("dataset: unknown split %v", opt.Split)
}

// lineSpan is one line of a text, without its "\n" or "\r\n".
type lineSpan struct {
	start, end int
	blank      bool
}

func lineSpans(text string) []lineSpan {
	var lines []lineSpan
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		next := start + end + 1
		if end < 0 {
			end, next = len(text), len(text)
		} else {
			end += start
		}
		line := strings.TrimSuffix(text[start:end], "\r")
		lines = append(lines, lineSpan{start: start, end: start + len(line), blank: strings.TrimSpace(line) == ""})
		start = next
	}
	return lines
}

// group cuts text before each line i > 0 where boundary(i) holds, and
// returns each piece from its first to its last non-blank line.
func group(text string, lines []lineSpan, boundary func(i int) bool) []string {
	var docs []string
	first, last := -1, -1
	flush := func() {
		if first >= 0 {
			docs = append(docs, text[lines[first].start:lines[last].end])
		}
		first, last = -1, -1
	}
	for i, l := range lines {
		if i > 0 && boundary(i) {
			flush()
		}
		if !l.blank {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	flush()
	return docs
}

// isWikiTitle reports whether line is a top-level WikiText heading,
// " = Title = ".
func isWikiTitle(line string) bool {
	return len(line) > 6 && strings.HasPrefix(line, " = ") && strings.HasSuffix(line, " = ") && line[3] != '='
}

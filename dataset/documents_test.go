package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

func TestSplitText(t *testing.T) {
	const paras = "a1\na2\n\n \nb1\r\n\r\nc1\n"
	const stories = "s1p1\n\ns1p2\ns2p1\n\ns2p2\n"
	const wiki = " \n = A = \n \n a text \n = = Sub = = \n more \n = B = \n b text \n"
	tests := []struct {
		name string
		text string
		opt  DocumentOptions
		want []string
	}{
		{"lines", paras, DocumentOptions{Split: SplitLines}, []string{"a1", "a2", "b1", "c1"}},
		{"lines_empty", "\n \n\t\n", DocumentOptions{Split: SplitLines}, nil},
		{"lines_no_final_newline", "x\ny", DocumentOptions{Split: SplitLines}, []string{"x", "y"}},
		{"paragraphs", paras, DocumentOptions{Split: SplitParagraphs}, []string{"a1\na2", "b1", "c1"}},
		{"stories", stories, DocumentOptions{Split: SplitStories}, []string{"s1p1\n\ns1p2", "s2p1\n\ns2p2"}},
		{"wikitext", wiki, DocumentOptions{Split: SplitWikiText}, []string{" = A = \n \n a text \n = = Sub = = \n more ", " = B = \n b text "}},
		{"wikitext_preamble", "intro\n = A = \n", DocumentOptions{Split: SplitWikiText}, []string{"intro", " = A = "}},
		{"separator_eos", "d1\n<|endoftext|>\nd2 line\n\nmore<|endoftext|><|endoftext|>  \n", DocumentOptions{Split: SplitSeparator}, []string{"d1", "d2 line\n\nmore"}},
		{"separator_eob", "b1\n\n<eob>\n\nb2\n<eob>\n", DocumentOptions{Split: SplitSeparator, Separator: "<eob>"}, []string{"b1", "b2"}},
		{"none", "\n\nall\n\nof it\n\n", DocumentOptions{Split: SplitNone}, []string{"all\n\nof it"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SplitText(tc.text, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseSplit(t *testing.T) {
	for s := SplitLines; s <= SplitNone; s++ {
		got, err := ParseSplit(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSplit(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSplit("bogus"); err == nil || !strings.Contains(err.Error(), "wikitext") {
		t.Errorf("ParseSplit(bogus): error %v, want the list of splits", err)
	}
}

// TestReadDocumentsShared counts the documents of the shared corpora, each
// cut the way its layout asks.
func TestReadDocumentsShared(t *testing.T) {
	tests := []struct {
		name  string
		path  []string
		opt   DocumentOptions
		count int
		first string // prefix of the first document
	}{
		{"wikitext2_test_articles", []string{"wikitext2", "test.txt"}, DocumentOptions{Split: SplitWikiText}, 62, " = Robert <unk> = \n \n Robert <unk> is an English"},
		{"tinystories_stories", []string{"tinystories", "tiny_stories.txt"}, DocumentOptions{Split: SplitStories}, 1092, "One day, a little girl named Lily found a needle"},
		{"tinystories_lines", []string{"tinystories", "tiny_stories.txt"}, DocumentOptions{Split: SplitLines}, 5758, "One day, a little girl named Lily found a needle"},
		{"wiki_demo_lines", []string{"llamafactory_pretrain_demo", "wiki_demo.txt"}, DocumentOptions{Split: SplitLines}, 30, "Anarchism is a political philosophy"},
		{"c4_demo_jsonl", []string{"llamafactory_pretrain_demo", "c4_demo.jsonl"}, DocumentOptions{}, 300, "Don’t think you need all the bells and whistles?"},
		{"simplebooks92_books", []string{"simplebooks92", "test.txt"}, DocumentOptions{Split: SplitSeparator, Separator: "<eob>"}, 5, "Bunny Rabbit 's Diary\n\nBy"},
		{"tinystories_val_paragraphs", []string{"tinystories", "tinystories_val.txt"}, DocumentOptions{Split: SplitParagraphs}, 4302, "Spot. Spot saw the shiny car"},
		{"tinyshakespeare_whole", []string{"tinyshakespeare", "input.txt"}, DocumentOptions{Split: SplitNone}, 1, "First Citizen:\nBefore we proceed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := ReadDocuments(fixture.DataPath(t, tc.path...), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != tc.count {
				t.Errorf("%d documents, want %d", len(docs), tc.count)
			}
			if !strings.HasPrefix(docs[0], tc.first) {
				t.Errorf("first document %.80q, want prefix %q", docs[0], tc.first)
			}
		})
	}
}

func TestReadDocumentsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file, data, want string
	}{
		{"missing_text", "a.jsonl", `{"text":"x"}` + "\n" + `{"body":"y"}`, `a.jsonl:2: field "text": missing`},
		{"text_not_string", "b.jsonl", `{"text":1}`, `b.jsonl:1: field "text": want a string, got a number`},
		{"bad_line", "c.jsonl", "{\"text\":\"x\"}\n\n{\"text\":\"x}\n", `c.jsonl:3: unexpected end of JSON input`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.file, tc.data)
			_, err := ReadDocuments(p, DocumentOptions{})
			if err == nil || err.Error() != filepath.Join(dir, tc.want) {
				t.Fatalf("error %v, want %s", err, filepath.Join(dir, tc.want))
			}
		})
	}
	if _, err := ReadDocuments(filepath.Join(dir, "absent.txt"), DocumentOptions{}); err == nil || !strings.Contains(err.Error(), "absent.txt") {
		t.Fatalf("error %v, want the missing file named", err)
	}
}

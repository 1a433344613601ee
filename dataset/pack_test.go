package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/tokenizer"
)

func TestPack(t *testing.T) {
	tests := []struct {
		name     string
		docs     []string
		seqLen   int
		want     []string // tokens|targets of each example, EOS as "|"
		empty    int
		dropped  int
		streamed int
	}{
		{"exact_fit", []string{"abc", "de"}, 3, []string{"abc/bc|", "|de/de|"}, 0, 0, 7},
		{"tail_dropped", []string{"abcdef"}, 2, []string{"ab/bc", "cd/de", "ef/f|"}, 0, 0, 7},
		{"tail_dropped_two", []string{"abcdefgh"}, 3, []string{"abc/bcd", "def/efg"}, 0, 2, 9},
		{"empty_docs_skipped", []string{"", "ab", "", "c"}, 2, []string{"ab/b|", "|c/c|"}, 2, 0, 5},
		{"seq_one", []string{"ab"}, 1, []string{"a/b", "b/|"}, 0, 0, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exs, st, err := Pack(byteEncoder{}, tc.docs, PackOptions{SeqLen: tc.seqLen})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ex := range exs {
				got = append(got, fakeText(ex.Tokens)+"/"+fakeText(ex.Targets))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("examples %q, want %q", got, tc.want)
			}
			if st.EmptyDocuments != tc.empty || st.DroppedTokens != tc.dropped || st.Tokens != tc.streamed ||
				st.Examples != len(tc.want) || st.Documents != len(tc.docs)-tc.empty {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestPackErrors(t *testing.T) {
	tests := []struct {
		name  string
		docs  []string
		opt   PackOptions
		want  string
		empty bool // wraps ErrEmpty
	}{
		{"no_documents", nil, PackOptions{SeqLen: 4}, "no documents", true},
		{"all_empty", []string{"", ""}, PackOptions{SeqLen: 4}, "0 tokens from 0 documents", true},
		{"too_short", []string{"ab"}, PackOptions{SeqLen: 3}, "3 tokens from 1 documents do not fill one window of SeqLen+1 = 4", true},
		{"bad_seq_len", []string{"ab"}, PackOptions{}, "SeqLen 0", false},
		{"unknown_eos", []string{"ab"}, PackOptions{SeqLen: 1, EOSToken: "</s>"}, `no token "</s>"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Pack(byteEncoder{}, tc.docs, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrEmpty) != tc.empty {
				t.Fatalf("error %v, want %q (ErrEmpty: %v)", err, tc.want, tc.empty)
			}
		})
	}
}

// TestPackShared packs real corpora with the GPT-NeoX tokenizer and checks
// the packing invariants: every example full, targets the next tokens,
// windows overlapping by one token, and the stream the documents' ids each
// followed by EOS.
func TestPackShared(t *testing.T) {
	tests := []struct {
		name   string
		path   []string
		split  Split
		seqLen int
	}{
		{"tinystories_stories_256", []string{"tinystories", "tiny_stories.txt"}, SplitStories, 256},
		{"wikitext2_articles_1024", []string{"wikitext2", "test.txt"}, SplitWikiText, 1024},
	}
	tok := tokenizer.Default()
	eos, _ := tok.TokenID(EOSToken)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, err := ReadDocuments(fixture.DataPath(t, tc.path...), DocumentOptions{Split: tc.split})
			if err != nil {
				t.Fatal(err)
			}
			exs, st, err := Pack(tok, docs, PackOptions{SeqLen: tc.seqLen})
			if err != nil {
				t.Fatal(err)
			}
			var want []int32
			for _, d := range docs {
				want = append(append(want, tok.Encode(d)...), eos)
			}
			if st.Tokens != len(want) || st.Documents != len(docs) || st.EmptyDocuments != 0 {
				t.Fatalf("stats %+v, want %d tokens from %d documents", st, len(want), len(docs))
			}
			if st.Examples != (len(want)-1)/tc.seqLen || st.Examples != len(exs) || st.DroppedTokens >= tc.seqLen {
				t.Fatalf("stats %+v for %d examples", st, len(exs))
			}
			got := []int32{exs[0].Tokens[0]}
			for i, ex := range exs {
				if len(ex.Tokens) != tc.seqLen || len(ex.Targets) != tc.seqLen {
					t.Fatalf("example %d: %d tokens, %d targets, want %d", i, len(ex.Tokens), len(ex.Targets), tc.seqLen)
				}
				if !slices.Equal(ex.Tokens[1:], ex.Targets[:tc.seqLen-1]) {
					t.Fatalf("example %d: targets are not the next tokens", i)
				}
				if i > 0 && ex.Tokens[0] != exs[i-1].Targets[tc.seqLen-1] {
					t.Fatalf("example %d does not start with the last target of example %d", i, i-1)
				}
				if slices.Contains(ex.Targets, IgnoreIndex) {
					t.Fatalf("example %d has an ignored target", i)
				}
				got = append(got, ex.Targets...)
			}
			if !slices.Equal(got, want[:len(got)]) {
				t.Fatal("the examples are not the stream of documents each followed by EOS")
			}
		})
	}
}

func TestPackFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(a, []byte("xy\n\nz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(`{"text":"w"}`+"\n"+`{"text":""}`), 0o644); err != nil {
		t.Fatal(err)
	}
	exs, st, err := PackFiles(byteEncoder{}, []string{a, b}, DocumentOptions{Split: SplitLines}, PackOptions{SeqLen: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 || fakeText(exs[0].Tokens) != "xy|" || fakeText(exs[1].Targets) != "|w|" || st.EmptyDocuments != 1 {
		t.Fatalf("examples %v, stats %+v", exs, st)
	}
	_, _, err = PackFiles(byteEncoder{}, []string{b}, DocumentOptions{}, PackOptions{SeqLen: 8})
	if err == nil || !strings.HasPrefix(err.Error(), b+": dataset: pack: no examples") || !errors.Is(err, ErrEmpty) {
		t.Fatalf("error %v, want the file named and ErrEmpty", err)
	}
}

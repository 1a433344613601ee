package dataset

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/tokenizer"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestAlpacaPrompt(t *testing.T) {
	tests := []struct {
		name, instruction, input, want string
	}{
		{"no_input", "Say hi.", "", "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nSay hi.\n\n### Response:"},
		{"input", "Add.", "1 2", "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\nAdd.\n\n### Input:\n1 2\n\n### Response:"},
		{"placeholders_in_values_kept", "{input}", "{instruction}", "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n### Instruction:\n{input}\n\n### Input:\n{instruction}\n\n### Response:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := AlpacaPrompt(tc.instruction, tc.input); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEncodePairs(t *testing.T) {
	pairs := []Pair{{Prompt: "P:", Response: "ab"}, {Prompt: "Q", Response: "c"}}
	tests := []struct {
		name  string
		opt   InstructOptions
		want  []string // tokens/targets, EOS as "|", IgnoreIndex as "_"
		stats InstructStats
	}{
		{"all_tokens", InstructOptions{MaxLen: 8}, []string{"P:ab|/:ab|_", "Qc|/c|_"}, InstructStats{Examples: 2, Targets: 6}},
		{"response_only", InstructOptions{MaxLen: 8, ResponseOnly: true}, []string{"P:ab|/_ab|_", "Qc|/c|_"}, InstructStats{Examples: 2, Targets: 5}},
		{"truncate", InstructOptions{MaxLen: 3, ResponseOnly: true}, []string{"P:a/_a_", "Qc|/c|_"}, InstructStats{Examples: 2, Truncated: 1, Targets: 3}},
		{"truncate_into_prompt", InstructOptions{MaxLen: 2, ResponseOnly: true}, []string{"P:/__", "Qc/c_"}, InstructStats{Examples: 2, Truncated: 2, FullyMasked: 1, Targets: 1}},
		{"skip", InstructOptions{MaxLen: 3, Overflow: OverflowSkip}, []string{"Qc|/c|_"}, InstructStats{Examples: 1, Skipped: 1, Targets: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exs, st, err := EncodePairs(byteEncoder{}, pairs, tc.opt)
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
			if st != tc.stats {
				t.Errorf("stats %+v, want %+v", st, tc.stats)
			}
		})
	}
}

func TestParseOverflow(t *testing.T) {
	for o := OverflowTruncate; o <= OverflowError; o++ {
		got, err := ParseOverflow(o.String())
		if err != nil || got != o {
			t.Errorf("ParseOverflow(%q) = %v, %v", o.String(), got, err)
		}
	}
	if _, err := ParseOverflow("wrap"); err == nil || !strings.Contains(err.Error(), "truncate, skip, error") {
		t.Errorf("ParseOverflow(wrap): error %v, want the list of choices", err)
	}
}

func TestEncodePairsErrors(t *testing.T) {
	long := []Pair{{Prompt: "abc", Response: "d", File: "a.json", Line: 7}}
	tests := []struct {
		name  string
		pairs []Pair
		opt   InstructOptions
		want  string
		empty bool
	}{
		{"overflow_error", long, InstructOptions{MaxLen: 4, Overflow: OverflowError}, "a.json:7: 5 tokens, more than MaxLen 4", false},
		{"all_skipped", long, InstructOptions{MaxLen: 4, Overflow: OverflowSkip}, "dataset: a.json: no examples: all 1 pairs are longer than MaxLen 4", true},
		{"no_pairs", nil, InstructOptions{MaxLen: 4}, "no instruction pairs", true},
		{"bad_max_len", long, InstructOptions{}, "MaxLen 0", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := EncodePairs(byteEncoder{}, tc.pairs, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrEmpty) != tc.empty {
				t.Fatalf("error %v, want %q (ErrEmpty: %v)", err, tc.want, tc.empty)
			}
		})
	}
}

func TestReadPairsErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, data, want string
	}{
		{"alpaca_missing_output", "[\n" + `{"instruction":"i","input":"","output":"o"},` + "\n" + `{"instruction":"i","input":""}` + "\n]", `x:3: field "output": missing`},
		{"alpaca_input_number", `{"instruction":"i","input":3,"output":"o"}`, `x:1: field "input": want a string, got a number`},
		{"prompt_missing_response", `{"prompt":"p"}`, `x:1: field "response": missing`},
		{"neither", "\n" + `{"question":"q"}`, `x:2: field "instruction": missing (a record needs "instruction" and "output", or "prompt" and "response")`},
		{"malformed_line", `{"prompt":"p","response":"r"}` + "\n" + `{"prompt":"p",` + "\n", `x:2: unexpected end of JSON input`},
		{"empty_array", "[]", `x: no examples`},
		{"empty_jsonl", "\n\n", `x: no examples`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "x")
			if err := os.WriteFile(path, []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadPairs(path)
			if want := filepath.Join(dir, tc.want); err == nil || err.Error() != want {
				t.Fatalf("error %v, want %s", err, want)
			}
		})
	}
}

func TestReadPairsDollyNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dolly.jsonl")
	data := `{"instruction":"i","context":"c","response":"r","category":"qa"}`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	pairs, err := ReadPairs(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Pair{Prompt: AlpacaPrompt("i", "c"), Response: "r", File: path, Line: 1}); pairs[0] != want {
		t.Fatalf("got %+v, want %+v", pairs[0], want)
	}
}

// TestAlpacaShared reads alpaca_5000.json, compares the first rendered and
// tokenised example with testdata/alpaca_5000_first.golden (checked by hand
// against stanford_alpaca's PROMPT_DICT), and checks the response-only
// masks of every example.
func TestAlpacaShared(t *testing.T) {
	pairs, err := ReadPairs(fixture.DataPath(t, "alpaca", "alpaca_5000.json"))
	if err != nil {
		t.Fatal(err)
	}
	noInput := 0
	for _, p := range pairs {
		if strings.HasPrefix(p.Prompt, "Below is an instruction that describes a task. ") {
			noInput++
		}
	}
	if len(pairs) != 5000 || noInput != 3057 {
		t.Fatalf("%d pairs, %d without input; want 5000, 3057", len(pairs), noInput)
	}
	tok := tokenizer.Default()
	opt := InstructOptions{MaxLen: 512, ResponseOnly: true}
	exs, st, err := EncodePairs(tok, pairs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Examples != 5000 || st.Truncated != 2 || st.Skipped != 0 || st.FullyMasked != 0 || st.Merged != 149 {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("MaxLen %d: %+v", opt.MaxLen, st)
	checkGolden(t, "alpaca_5000_first.golden", renderExample(tok, pairs[0], exs[0]))
	checkResponseMasks(t, tok, pairs, exs, opt.MaxLen)
}

// TestDollyShared reads the prompt/response records of dolly_hhrlhf.
func TestDollyShared(t *testing.T) {
	pairs, err := ReadPairs(fixture.DataPath(t, "dolly_hhrlhf", "dolly_hhrlhf_train_small.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 1000 {
		t.Fatalf("%d pairs, want 1000", len(pairs))
	}
	if want := "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nwhat is kangen water?\n\n### Response:\n"; pairs[0].Prompt != want {
		t.Fatalf("first prompt %q, want %q", pairs[0].Prompt, want)
	}
	tok := tokenizer.Default()
	exs, st, err := EncodePairs(tok, pairs, InstructOptions{MaxLen: 256, ResponseOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MaxLen 256: %+v", st)
	if st.Examples != 1000 || st.Truncated != 235 || st.FullyMasked != 134 || st.Merged != 0 {
		t.Fatalf("stats %+v: want 1000 examples, 235 truncated, 134 into the prompt, 0 merged", st)
	}
	checkResponseMasks(t, tok, pairs, exs, 256)
}

// checkResponseMasks checks that each example masks exactly its prompt's
// tokens: the first target that is not ignored is the token right after the
// prompt, and every later target is the next token, up to the EOS.
func checkResponseMasks(t *testing.T, tok *tokenizer.Tokenizer, pairs []Pair, exs []Example, maxLen int) {
	t.Helper()
	eos, _ := tok.TokenID(EOSToken)
	for i, ex := range exs {
		promptLen := min(len(tok.Encode(pairs[i].Prompt)), maxLen)
		first := slices.IndexFunc(ex.Targets, func(id int32) bool { return id != IgnoreIndex })
		if promptLen == maxLen && first == -1 {
			continue // the prompt fills the example: nothing to learn, as in stanford_alpaca
		}
		if first != promptLen-1 {
			t.Fatalf("example %d (line %d): first target at %d, want %d (the last prompt token)", i, pairs[i].Line, first, promptLen-1)
		}
		n := len(ex.Tokens)
		if !slices.Equal(ex.Targets[first:n-1], ex.Tokens[first+1:]) || ex.Targets[n-1] != IgnoreIndex {
			t.Fatalf("example %d: response targets are not the next tokens", i)
		}
		if n < maxLen && ex.Tokens[n-1] != eos {
			t.Fatalf("example %d: %d tokens, not ending with EOS", i, n)
		}
	}
}

// renderExample writes an example as the golden file holds it: the prompt
// and response text, then one line per position.
func renderExample(tok *tokenizer.Tokenizer, p Pair, ex Example) string {
	var b strings.Builder
	fmt.Fprintf(&b, "=== prompt\n%s\n=== response\n%s\n=== position\ttoken\tid\ttarget\n", p.Prompt, p.Response)
	for t, id := range ex.Tokens {
		s, _ := tok.Token(id)
		fmt.Fprintf(&b, "%d\t%q\t%d\t%d\n", t, s, id, ex.Targets[t])
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s differs (run with -update to rewrite it):\ngot:\n%s", path, got)
	}
}

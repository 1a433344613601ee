package eval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/tokenizer"
)

// clippedTokenizer maps GPT-NeoX ids into the 512-token vocabulary of the
// fixture models, which reject larger ids; the prompts stay lm-eval's.
type clippedTokenizer struct {
	tok   *tokenizer.Tokenizer
	vocab int32
}

func (c clippedTokenizer) Encode(text string) []int32 {
	ids := c.tok.Encode(text)
	for i := range ids {
		ids[i] %= c.vocab
	}
	return ids
}

// TestEvaluateFixtureModels runs every task with --limit on each fixture
// architecture and checks the results file has lm-eval's layout.
func TestEvaluateFixtureModels(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end evaluation skipped in -short mode")
	}
	data := fixture.DataPath(t)
	cases := []struct {
		arch   string
		tasks  []string
		shots  []int
		limit  int
		groups bool
		// truncated names a task whose prompts at the last k exceed the model's context
		// (the GPT-NeoX fixture has max_position_embeddings 128).
		truncated string
		// byteTokens encodes with testdata/byte_tokenizer.json (one id per
		// byte, in range for the fixtures) instead of clipped GPT-NeoX ids.
		byteTokens bool
	}{
		{"mamba1", []string{"arc_easy", "arc_challenge", "piqa", "hellaswag", "winogrande", "lambada_openai", "boolq", "copa", "openbookqa", "sciq", "mmlu"}, []int{0}, 1, true, "", false},
		{"mamba2", []string{"winogrande", "mmlu_stem", "lambada_openai"}, []int{1}, 2, true, "", true},
		{"gpt_neox", []string{"arc_easy", "winogrande", "mmlu_anatomy"}, []int{0, 3}, 2, false, "mmlu_anatomy", false},
	}
	for _, c := range cases {
		t.Run(c.arch, func(t *testing.T) {
			lm, err := checkpoint.Load(fixture.Path(t, c.arch))
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			cfg := DefaultConfig()
			cfg.Tasks, cfg.NumFewshot, cfg.Limit = c.tasks, c.shots, c.limit
			cfg.DataDir, cfg.OutputPath, cfg.ModelName = data, out, "fixtures/"+c.arch
			cfg.LogSamples, cfg.BootstrapIters = true, 100
			if c.arch == "gpt_neox" {
				cfg.MaxLength = 128 // the fixture's max_position_embeddings
			}
			var tok Tokenizer = clippedTokenizer{tokenizer.Default(), int32(lm.VocabSize())}
			if c.byteTokens {
				if tok, err = tokenizer.Load("testdata/byte_tokenizer.json"); err != nil {
					t.Fatal(err)
				}
			}
			files, err := Evaluate(lm, tok, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var results []string
			for _, f := range files {
				if rel, _ := filepath.Rel(out, f); !strings.HasPrefix(rel, "fixtures__"+c.arch+string(filepath.Separator)) {
					t.Errorf("%s is not under <output_path>/<model_name_sanitized>", f)
				}
				if strings.HasPrefix(filepath.Base(f), "results_") {
					results = append(results, f)
				}
			}
			if len(results) != len(c.shots) {
				t.Fatalf("%d results files for %d few-shot counts", len(results), len(c.shots))
			}
			var r map[string]any
			for _, f := range results {
				r = checkResultsFile(t, f, c.groups, c.limit)
			}
			if c.truncated != "" {
				n := r["steady"].(map[string]any)["truncated_requests"].(map[string]any)[c.truncated].(float64)
				if n == 0 {
					t.Errorf("%s: no truncated requests counted", c.truncated)
				}
			}
		})
	}
}

func checkResultsFile(t *testing.T, path string, groups bool, limit int) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, key := range []string{"results", "configs", "versions", "n-shot", "n-samples", "config", "higher_is_better", "group_subtasks"} {
		if _, ok := r[key]; !ok {
			t.Errorf("%s: no %q", path, key)
		}
	}
	if _, ok := r["groups"]; ok != groups {
		t.Errorf("%s: groups present = %v, want %v", path, ok, groups)
	}
	for name, v := range r["results"].(map[string]any) {
		entry := v.(map[string]any)
		if _, ok := entry["alias"]; !ok {
			t.Errorf("%s: results[%s] has no alias", path, name)
		}
		found := false
		for k := range entry {
			if strings.HasSuffix(k, ",none") && !strings.Contains(k, "_stderr") {
				found = true
				if _, ok := entry[strings.Replace(k, ",none", "_stderr,none", 1)]; !ok {
					t.Errorf("%s: results[%s][%s] has no stderr", path, name, k)
				}
			}
		}
		if !found {
			t.Errorf("%s: results[%s] has no metric", path, name)
		}
	}
	for name, v := range r["n-samples"].(map[string]any) {
		if eff := v.(map[string]any)["effective"].(float64); int(eff) != limit {
			t.Errorf("%s: n-samples[%s].effective = %v, want %d", path, name, eff, limit)
		}
	}
	return r
}

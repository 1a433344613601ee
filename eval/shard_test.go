package eval

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/tokenizer"
)

// TestShardMerge checks that two shards merged give the results of the
// unsharded run: same few-shot prompts, same metrics and stderrs.
func TestShardMerge(t *testing.T) {
	data := fixture.DataPath(t)
	tok := clippedTokenizer{tokenizer.Default(), 97}
	base := DefaultConfig()
	base.Tasks, base.NumFewshot, base.Limit = []string{"arc_easy", "winogrande", "lambada_openai"}, []int{1}, 5
	base.DataDir, base.ModelName, base.BootstrapIters = data, "fake", 200

	whole := base
	whole.OutputPath = filepath.Join(t.TempDir(), "whole")
	files, err := Evaluate(&fakeLM{vocab: 97}, tok, whole)
	if err != nil {
		t.Fatal(err)
	}
	want := readResults(t, files[0])

	var shards []string
	dir := t.TempDir()
	for i := range 2 {
		cfg := base
		cfg.OutputPath, cfg.Shard, cfg.NumShards = dir, i, 2
		f, err := Evaluate(&fakeLM{vocab: 97}, tok, cfg)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, f...)
	}
	merged, err := Merge(shards, filepath.Join(t.TempDir(), "merged"), true, base.BootstrapIters)
	if err != nil {
		t.Fatal(err)
	}
	got := readResults(t, merged[0])
	if !reflect.DeepEqual(got["results"], want["results"]) {
		t.Errorf("merged results differ:\n got %v\nwant %v", got["results"], want["results"])
	}
	if len(merged) != 1+3 {
		t.Errorf("merge wrote %d files, want results + 3 samples files", len(merged))
	}
	if _, err := Merge(shards[:1], t.TempDir(), false, 0); err == nil {
		t.Error("merging 1 of 2 shards succeeded")
	}
}

func readResults(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

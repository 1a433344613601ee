package eval

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/steady-ml/steady/eval/fewshot"
	"github.com/steady-ml/steady/eval/metric"
	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/model"
)

// Config is a whole evaluation: tasks × few-shot counts on one model.
type Config struct {
	// Tasks are task and group names ("mmlu", "winogrande").
	Tasks []string
	// NumFewshot lists the k to run; each k writes its own results file,
	// as one lm-eval invocation per k would.
	NumFewshot []int
	// DataDir is where the task files are.
	DataDir string
	// OutputPath is lm-eval's --output_path; empty: write nothing.
	OutputPath string
	// ModelName names the model in results (lm-eval's pretrained=...).
	ModelName string
	// Limit evaluates the first Limit documents of each task (0: all).
	Limit int
	// BatchSize is the number of sequences per forward pass.
	BatchSize int
	// MaxLength is the context length inputs are left-truncated to; 0:
	// the model's (ModelMaxLength), as lm-eval takes max_position_embeddings
	// from the HF config.
	MaxLength int
	// MaxLogits bounds the floats of one forward's logits.
	MaxLogits int
	// BootstrapIters is lm-eval's --bootstrap_iters (perplexity stderr).
	BootstrapIters int
	// FewshotSeed is lm-eval's fewshot_random_seed.
	FewshotSeed int64
	// LogSamples writes samples_<task>_<date>.jsonl files.
	LogSamples bool
	// Shard and NumShards split the documents; see Options.
	Shard, NumShards int
	// EOT is the token standing for an empty context.
	EOT int32
	// Progress reports scoring progress per task (see Options).
	Progress func(name string, total int) func(done int)
	// Log receives one summary line per task and k; nil: none.
	Log io.Writer
}

// DefaultMaxLength is lm-eval's max_length for models whose config gives none.
const DefaultMaxLength = 2048

// ContextLimiter is implemented by models with a fixed context length.
type ContextLimiter interface {
	// MaxLength is the longest sequence the model accepts.
	MaxLength() int
}

// ModelMaxLength is the context length lm-eval would use for lm: the
// model's own limit when it has one (GPT-NeoX's max_position_embeddings),
// else DefaultMaxLength (lm-eval's default, also its mamba_ssm wrapper's).
func ModelMaxLength(lm model.LM) int {
	if m, ok := lm.(ContextLimiter); ok {
		return m.MaxLength()
	}
	return DefaultMaxLength
}

// DefaultConfig returns lm-eval's defaults (the model's max length,
// 100000 bootstrap iterations, few-shot seed 1234) with batches of 8
// sequences, which change speed, not results.
func DefaultConfig() Config {
	return Config{
		BatchSize:      8,
		MaxLogits:      1 << 24,
		BootstrapIters: metric.DefaultBootstrapIters,
		FewshotSeed:    fewshot.DefaultSeed,
	}
}

// Evaluate runs every task at every k and writes the results files (or,
// with NumShards > 1, one shard file per k for Merge). It returns the
// files written.
func Evaluate(lm model.LM, tok Tokenizer, cfg Config) ([]string, error) {
	if len(cfg.NumFewshot) == 0 {
		cfg.NumFewshot = []int{0}
	}
	if cfg.NumShards > 1 && (cfg.Shard < 0 || cfg.Shard >= cfg.NumShards) {
		return nil, fmt.Errorf("shard %d/%d: the index must be in 0..%d", cfg.Shard, cfg.NumShards, cfg.NumShards-1)
	}
	sel, err := task.Resolve(cfg.Tasks)
	if err != nil {
		return nil, err
	}
	if err := preflight(sel.Tasks, cfg); err != nil {
		return nil, err
	}
	if cfg.MaxLength <= 0 {
		cfg.MaxLength = ModelMaxLength(lm)
	}
	var files []string
	for _, k := range cfg.NumFewshot {
		start := time.Now()
		sc := &Scorer{LM: lm, MaxLength: cfg.MaxLength, BatchSize: cfg.BatchSize, MaxLogits: cfg.MaxLogits}
		var runs []*TaskResult
		for _, t := range sel.Tasks {
			r, err := Run(t, tok, sc, Options{
				DataDir: cfg.DataDir, NumFewshot: k, Limit: cfg.Limit, FewshotSeed: cfg.FewshotSeed,
				Shard: cfg.Shard, NumShards: cfg.NumShards, EOT: cfg.EOT, Progress: cfg.Progress,
			})
			if err != nil {
				return nil, err
			}
			runs = append(runs, r)
			logRun(cfg.Log, r)
		}
		info := RunInfo{
			ModelName: cfg.ModelName, BatchSize: cfg.BatchSize, Limit: cfg.Limit,
			BootstrapIters: cfg.BootstrapIters, FewshotSeed: cfg.FewshotSeed, MaxLength: cfg.MaxLength,
			Start: start, End: time.Now(),
		}
		if cfg.OutputPath == "" {
			continue
		}
		var written []string
		var err error
		if cfg.NumShards > 1 {
			written, err = WriteShard(cfg.OutputPath, info, cfg.Tasks, cfg.Shard, cfg.NumShards, runs)
		} else {
			written, err = WriteResults(cfg.OutputPath, info, Results(runs, sel.Groups, info), runs, cfg.LogSamples)
		}
		if err != nil {
			return nil, err
		}
		files = append(files, written...)
	}
	return files, nil
}

// preflight reads every task's documents and few-shot pool and checks
// every k fits its pool, so that a bad input fails before hours of scoring.
func preflight(tasks []*task.Task, cfg Config) error {
	for _, t := range tasks {
		if _, err := t.Docs(cfg.DataDir); err != nil {
			return err
		}
		for _, k := range cfg.NumFewshot {
			if k < 0 {
				return fmt.Errorf("num_fewshot %d: must be >= 0", k)
			}
			if k == 0 {
				continue
			}
			pool, err := t.FewshotDocs(cfg.DataDir)
			if err != nil {
				return err
			}
			if err := fewshot.NewSampler(t, pool, cfg.FewshotSeed).Check(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// logRun prints a task's metrics and speed on one line.
func logRun(w io.Writer, r *TaskResult) {
	if w == nil {
		return
	}
	a := AggregateTask(r.Task, r.Docs, 0)
	names := append([]string{}, r.Task.Metrics...)
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s=%.4f", n, a.Value[n]))
	}
	fmt.Fprintf(w, "%s %d-shot: %d docs, %s, %.2f docs/s, %d truncated\n",
		r.Task.Name, r.NumShot, len(r.Docs), strings.Join(parts, " "), r.DocsPerSecond(), r.Truncated)
}

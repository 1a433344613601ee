package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/eval"
	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/internal/progress"
	"github.com/steady-ml/steady/train"
)

type evalOptions struct {
	model, adapter, tokenizer string
	precision                 train.Precision
	tasks                     string
	numFewshot                []int
	shard                     string
	cfg                       eval.Config
}

func newEvalCmd() *cobra.Command {
	o := evalOptions{cfg: eval.DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "eval --model DIR --tasks mmlu,winogrande [--num_fewshot 0,1,3,5] [--output_path DIR]",
		Short: "Evaluate a model on lm-evaluation-harness tasks, with lm-eval's prompts, metrics and results files",
		Long: `eval scores a model on lm-evaluation-harness 0.4.x tasks and reports the
numbers lm-eval would: the same prompts, few-shot examples (seed 1234),
log-likelihood scoring, acc / acc_norm / perplexity and standard errors. Each
k of --num_fewshot writes <output_path>/<model>/results_<date>.json (and
samples_<task>_<date>.jsonl with --log_samples).

Tasks: arc_easy, arc_challenge, piqa, hellaswag, winogrande, lambada_openai,
boolq, copa, openbookqa, sciq, mmlu (57 subjects, groups mmlu_stem, mmlu_other,
mmlu_social_sciences, mmlu_humanities, or one subject as mmlu_<subject>).

Data files are read from --data_dir (default $STEADY_DATA, else ./data), laid
out as shared/data (see its SOURCES.md). With --shard i/n only documents with
doc_id % n == i are scored and a shard file is written; "steady eval merge"
combines the n shard files into the results of the whole run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEval(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint folder or hub id ORG/NAME[@REV]")
	f.StringVar(&o.adapter, "adapter", "", "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to apply")
	f.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer.json (default: the model folder's, else the built-in GPT-NeoX tokenizer)")
	addPrecisionFlag(f, &o.precision, inferPrecisionUsage)
	f.StringVar(&o.tasks, "tasks", "", "comma-separated tasks or groups")
	f.IntSliceVar(&o.numFewshot, "num-fewshot", []int{0}, "few-shot counts, e.g. 0,1,3,5 (one results file each)")
	f.StringVar(&o.cfg.DataDir, "data-dir", defaultDataDir(), "folder with the task data files")
	f.StringVar(&o.cfg.OutputPath, "output-path", "", "folder for results (and samples) files; empty: print only")
	f.IntVar(&o.cfg.Limit, "limit", 0, "evaluate only the first N documents of each task")
	f.IntVar(&o.cfg.BatchSize, "batch-size", o.cfg.BatchSize, "sequences per forward pass")
	f.IntVar(&o.cfg.MaxLength, "max-length", 0, "context length; longer inputs are left-truncated and counted (0: the model's max_position_embeddings, else 2048)")
	f.IntVar(&o.cfg.BootstrapIters, "bootstrap-iters", o.cfg.BootstrapIters, "bootstrap resamples for the perplexity stderr (0: none)")
	f.Int64Var(&o.cfg.FewshotSeed, "fewshot-seed", o.cfg.FewshotSeed, "seed of the few-shot sampler (lm-eval's fewshot_random_seed)")
	f.BoolVar(&o.cfg.LogSamples, "log-samples", false, "also write samples_<task>_<date>.jsonl")
	f.StringVar(&o.shard, "shard", "", "score shard i of n (\"i/n\") and write a shard file for `steady eval merge`")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("tasks")
	cmd.AddCommand(newEvalMergeCmd())
	return cmd
}

// defaultDataDir is $STEADY_DATA, else ./data.
func defaultDataDir() string {
	if d := os.Getenv("STEADY_DATA"); d != "" {
		return d
	}
	return "data"
}

func runEval(cmd *cobra.Command, o evalOptions) error {
	cfg := o.cfg
	cfg.Tasks = strings.Split(o.tasks, ",")
	cfg.NumFewshot = o.numFewshot
	cfg.ModelName = o.model
	if o.shard != "" {
		var err error
		if cfg.Shard, cfg.NumShards, err = parseShard(o.shard); err != nil {
			return err
		}
	}
	if _, err := task.Resolve(cfg.Tasks); err != nil {
		return err
	}
	if st, err := os.Stat(cfg.DataDir); err != nil || !st.IsDir() {
		return fmt.Errorf("--data_dir %s is not a folder (set --data_dir or $STEADY_DATA)", cfg.DataDir)
	}
	dir, err := resolveModel(cmd.Context(), o.model)
	if err != nil {
		return err
	}
	lm, err := loadAdapted(cmd.Context(), dir, o.adapter, o.precision, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if cfg.MaxLength <= 0 {
		cfg.MaxLength = eval.ModelMaxLength(lm)
	}
	tok, err := loadTokenizer(o.tokenizer, dir)
	if err != nil {
		return err
	}
	if id, ok := tok.TokenID("<|endoftext|>"); ok {
		cfg.EOT = id
	}
	cfg.Log = cmd.OutOrStdout()
	cfg.Progress = func(name string, total int) func(int) {
		bar := progress.New(int64(total), name, progress.Items)
		done := 0
		return func(n int) {
			bar.Add(int64(n))
			if done += n; done >= total {
				bar.Finish()
			}
		}
	}
	files, err := eval.Evaluate(lm, tok, cfg)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(cmd.OutOrStdout(), "wrote", f)
	}
	return nil
}

// parseShard reads "i/n".
func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", s)
	}
	return i, n, nil
}

func newEvalMergeCmd() *cobra.Command {
	var outputPath string
	var logSamples bool
	iters := eval.DefaultConfig().BootstrapIters
	cmd := &cobra.Command{
		Use:   "merge --output_path DIR SHARD_FILE...",
		Short: "Merge the shard files of a sharded eval run into its results files",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			files, err := eval.Merge(paths, outputPath, logSamples, iters)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintln(cmd.OutOrStdout(), "wrote", f)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&outputPath, "output-path", "", "folder for the merged results files")
	cmd.Flags().BoolVar(&logSamples, "log-samples", false, "also write samples_<task>_<date>.jsonl")
	cmd.Flags().IntVar(&iters, "bootstrap-iters", iters, "bootstrap resamples for the perplexity stderr (0: none)")
	cmd.MarkFlagRequired("output-path")
	return cmd
}

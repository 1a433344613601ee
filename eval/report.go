package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/internal/atomicfile"
)

// RunInfo describes a run for the "config" block and tracker fields of
// the results file.
type RunInfo struct {
	// ModelName is --model as given (lm-eval's pretrained=...).
	ModelName      string
	BatchSize      int
	Limit          int
	BootstrapIters int
	FewshotSeed    int64
	MaxLength      int
	Start, End     time.Time
}

// SanitizeModelName is lm-eval's model_name_sanitized: each run of the
// characters "<>:/|\?*[] becomes "__".
func SanitizeModelName(name string) string {
	return unsafeName.ReplaceAllString(name, "__")
}

var unsafeName = regexp.MustCompile(`["<>:/|\\?*\[\]]+`)

// DateID is lm-eval's file date stamp: datetime.isoformat() with ":"
// replaced by "-" (microseconds omitted when zero, as Python does).
func DateID(t time.Time) string {
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15-04-05")
	}
	return t.Format("2006-01-02T15-04-05.000000")
}

// Results builds lm-eval's results dictionary for runs of one k: results,
// groups, group_subtasks, configs, versions, n-shot, higher_is_better,
// n-samples, config and the tracker's timing fields, plus a "steady" block
// with docs/s and truncation counts per task.
func Results(runs []*TaskResult, groups []task.Group, info RunInfo) map[string]any {
	s := sections{}
	aggs := map[string]Aggregate{}
	depth := taskDepths(groups)
	for _, r := range runs {
		aggs[r.Task.Name] = s.addTask(r, depth[r.Task.Name], inAnyGroup(r.Task.Name, groups), info.BootstrapIters)
	}
	for _, g := range groups {
		s.addGroup(g, aggs, depth[g.Name])
	}
	out := runConfig(info)
	for _, name := range []string{"results", "groups", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples"} {
		if sec, ok := s[name]; ok {
			out[name] = sec
		}
	}
	out["steady"] = map[string]any{"docs_per_second": s["docs_per_second"], "truncated_requests": s["truncated_requests"]}
	return out
}

// sections are the per-task dictionaries of a results file, by name.
type sections map[string]map[string]any

func (s sections) set(section, key string, v any) {
	if s[section] == nil {
		s[section] = map[string]any{}
	}
	s[section][key] = v
}

// addTask adds a task's entries and returns its aggregate.
func (s sections) addTask(r *TaskResult, depth int, grouped bool, bootstrapIters int) Aggregate {
	t := r.Task
	a := AggregateTask(t, r.Docs, bootstrapIters)
	alias := t.Name
	if t.Alias != "" {
		alias = t.Alias
	}
	s.set("results", t.Name, metricEntry(indent(depth)+alias, a))
	if !grouped {
		s.set("group_subtasks", t.Name, []any{})
	}
	s.set("configs", t.Name, t.Config)
	s.set("versions", t.Name, t.Version)
	s.set("n-shot", t.Name, r.NumShot)
	h := map[string]any{}
	for _, m := range t.Metrics {
		h[m] = m != "perplexity"
	}
	s.set("higher_is_better", t.Name, h)
	s.set("n-samples", t.Name, map[string]any{"original": r.Original, "effective": r.Effective})
	s.set("docs_per_second", t.Name, r.DocsPerSecond())
	s.set("truncated_requests", t.Name, r.Truncated)
	return a
}

// addGroup adds a group's entries when all its tasks ran.
func (s sections) addGroup(g task.Group, aggs map[string]Aggregate, depth int) {
	a, ok := AggregateGroup(g, aggs)
	if !ok {
		return
	}
	entry := metricEntry(indent(depth)+g.Alias, a)
	s.set("results", g.Name, entry)
	s.set("groups", g.Name, entry)
	members := g.Subgroups
	if len(members) == 0 {
		members = g.Tasks
	}
	s.set("group_subtasks", g.Name, anyStrings(members))
	s.set("versions", g.Name, g.Version)
	s.set("higher_is_better", g.Name, map[string]any{"acc": true})
}

// runConfig is the "config" block and the tracker's fields.
func runConfig(info RunInfo) map[string]any {
	limit := any(nil)
	if info.Limit > 0 {
		limit = info.Limit
	}
	return map[string]any{
		"config": map[string]any{
			"model":           "steady",
			"model_args":      "pretrained=" + info.ModelName,
			"batch_size":      info.BatchSize,
			"batch_sizes":     []any{},
			"device":          "cpu",
			"use_cache":       nil,
			"limit":           limit,
			"bootstrap_iters": info.BootstrapIters,
			"gen_kwargs":      nil,
			"random_seed":     0,
			"numpy_seed":      1234,
			"torch_seed":      1234,
			"fewshot_seed":    info.FewshotSeed,
			"max_length":      info.MaxLength,
		},
		"git_hash":                      nil,
		"date":                          float64(info.Start.UnixNano()) / 1e9,
		"model_name":                    info.ModelName,
		"model_name_sanitized":          SanitizeModelName(info.ModelName),
		"start_time":                    float64(info.Start.UnixNano()) / 1e9,
		"end_time":                      float64(info.End.UnixNano()) / 1e9,
		"total_evaluation_time_seconds": strconv.FormatFloat(info.End.Sub(info.Start).Seconds(), 'f', -1, 64),
	}
}

// metricEntry is one "results" entry: alias and "<metric>,none" /
// "<metric>_stderr,none" keys.
func metricEntry(alias string, a Aggregate) map[string]any {
	e := map[string]any{"alias": alias}
	for name, v := range a.Value {
		e[name+",none"] = num(v)
		if se, ok := a.Stderr[name].(float64); ok {
			e[name+"_stderr,none"] = num(se)
		} else {
			e[name+"_stderr,none"] = NA
		}
	}
	return e
}

// taskDepths is the depth of each task and group below the top-level
// groups, for lm-eval's alias indentation (" - humanities", "  - anatomy").
func taskDepths(groups []task.Group) map[string]int {
	d := map[string]int{}
	for _, g := range groups {
		for _, sub := range g.Subgroups {
			d[sub] = d[g.Name] + 1
		}
	}
	for _, g := range groups {
		if len(g.Subgroups) == 0 {
			for _, t := range g.Tasks {
				d[t] = d[g.Name] + 1
			}
		}
	}
	return d
}

func indent(depth int) string {
	if depth == 0 {
		return ""
	}
	s := ""
	for range depth {
		s += " "
	}
	return s + "- "
}

func inAnyGroup(name string, groups []task.Group) bool {
	for _, g := range groups {
		for _, t := range g.Tasks {
			if t == name {
				return true
			}
		}
	}
	return false
}

func anyStrings(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// WriteResults writes results_<date>.json (and, with logSamples, one
// samples_<task>_<date>.jsonl per task) under
// outputPath/<model_name_sanitized>/, as lm-eval's EvaluationTracker does.
// It returns the files written.
func WriteResults(outputPath string, info RunInfo, results map[string]any, runs []*TaskResult, logSamples bool) ([]string, error) {
	dir := filepath.Join(outputPath, SanitizeModelName(info.ModelName))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	id := DateID(info.End)
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	path := filepath.Join(dir, "results_"+id+".json")
	if err := atomicfile.WriteFile(path, append(b, '\n')); err != nil {
		return nil, err
	}
	files := []string{path}
	if !logSamples {
		return files, nil
	}
	for _, r := range runs {
		p := filepath.Join(dir, "samples_"+r.Task.Name+"_"+id+".jsonl")
		if err := writeSamples(p, r); err != nil {
			return nil, err
		}
		files = append(files, p)
	}
	return files, nil
}

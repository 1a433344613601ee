package eval

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/steady-ml/steady/eval/fewshot"
	"github.com/steady-ml/steady/eval/task"
	"github.com/steady-ml/steady/internal/atomicfile"
)

// shardFile is what one shard of a sharded run writes: enough of every
// scored document for Merge to rebuild the results and samples files of
// the unsharded run.
type shardFile struct {
	Index, Count int
	Tasks        []string
	NumShot      int
	Info         RunInfo
	Runs         []shardRun
}

type shardRun struct {
	Task      string
	Config    map[string]any
	Original  int
	Effective int
	Truncated int
	Seconds   float64
	Docs      []shardDoc
}

type shardDoc struct {
	DocID    int
	Fields   map[string]any
	Choices  []string
	Target   string
	Gold     int
	Requests []fewshot.Request
	Scores   []Scored
	Metrics  map[string]float64
}

// WriteShard writes shard_<i>-of-<n>_<k>shot_<date>.json under
// outputPath/<model_name_sanitized>/ for Merge.
func WriteShard(outputPath string, info RunInfo, tasks []string, index, count int, runs []*TaskResult) ([]string, error) {
	sf := shardFile{Index: index, Count: count, Tasks: tasks, Info: info}
	for _, r := range runs {
		sf.NumShot = r.NumShot
		sr := shardRun{Task: r.Task.Name, Config: r.Task.Config, Original: r.Original, Effective: r.Effective,
			Truncated: r.Truncated, Seconds: r.Seconds}
		for _, d := range r.Docs {
			sr.Docs = append(sr.Docs, shardDoc{DocID: d.DocID, Fields: d.Doc.Fields, Choices: d.Doc.Choices,
				Target: d.Doc.Target, Gold: d.Doc.Gold, Requests: d.Requests, Scores: d.Scores, Metrics: d.Metrics})
		}
		sf.Runs = append(sf.Runs, sr)
	}
	b, err := json.Marshal(sf)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(outputPath, SanitizeModelName(info.ModelName))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, fmt.Sprintf("shard_%d-of-%d_%dshot_%s.json", index, count, sf.NumShot, DateID(info.End)))
	return []string{p}, atomicfile.WriteFile(p, b)
}

// Merge reads the shard files of one sharded run (every index 0..n-1, one
// k) and writes the results (and samples) files the unsharded run would
// have written. It returns the files written.
func Merge(paths []string, outputPath string, logSamples bool, bootstrapIters int) ([]string, error) {
	var shards []shardFile
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var sf shardFile
		if err := json.Unmarshal(b, &sf); err != nil {
			return nil, fmt.Errorf("%s: not a steady shard file: %w", p, err)
		}
		shards = append(shards, sf)
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("merge: no shard files given")
	}
	sort.Slice(shards, func(a, b int) bool { return shards[a].Index < shards[b].Index })
	n := shards[0].Count
	for i, sf := range shards {
		if sf.Count != n || sf.Index != i || sf.NumShot != shards[0].NumShot || len(sf.Runs) != len(shards[0].Runs) {
			return nil, fmt.Errorf("merge: need shards 0..%d of one run and one k, each once (%s has shard %d/%d, %d-shot)",
				n-1, paths[i], sf.Index, sf.Count, sf.NumShot)
		}
	}
	if len(shards) != n {
		return nil, fmt.Errorf("merge: %d of %d shards given", len(shards), n)
	}
	sel, err := task.Resolve(shards[0].Tasks)
	if err != nil {
		return nil, err
	}
	byName := map[string]*task.Task{}
	for _, t := range sel.Tasks {
		byName[t.Name] = t
	}
	info := shards[0].Info
	info.BootstrapIters = bootstrapIters
	var runs []*TaskResult
	for j, first := range shards[0].Runs {
		t, ok := byName[first.Task]
		if !ok {
			return nil, fmt.Errorf("merge: task %s is not among %v", first.Task, shards[0].Tasks)
		}
		t.Config = first.Config
		r := &TaskResult{Task: t, NumShot: shards[0].NumShot, Original: first.Original, Effective: first.Effective}
		for _, sf := range shards {
			sr := sf.Runs[j]
			r.Truncated += sr.Truncated
			r.Seconds += sr.Seconds
			for _, d := range sr.Docs {
				doc := &task.Doc{Fields: d.Fields, Choices: d.Choices, Target: d.Target, Gold: d.Gold}
				r.Docs = append(r.Docs, DocResult{DocID: d.DocID, Doc: doc, Requests: d.Requests, Scores: d.Scores, Metrics: d.Metrics})
			}
		}
		sort.Slice(r.Docs, func(a, b int) bool { return r.Docs[a].DocID < r.Docs[b].DocID })
		if len(r.Docs) != r.Effective {
			return nil, fmt.Errorf("merge: task %s has %d documents across the shards, want %d", t.Name, len(r.Docs), r.Effective)
		}
		runs = append(runs, r)
	}
	for _, sf := range shards {
		if sf.Info.Start.Before(info.Start) {
			info.Start = sf.Info.Start
		}
		if sf.Info.End.After(info.End) {
			info.End = sf.Info.End
		}
	}
	if info.End.IsZero() {
		info.End = time.Now()
	}
	return WriteResults(outputPath, info, Results(runs, sel.Groups, info), runs, logSamples)
}

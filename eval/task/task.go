package task

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Kind is how a task questions the model (lm-eval's output_type, with
// winogrande's multiple inputs as a kind of its own).
type Kind int

const (
	// MultipleChoice scores one continuation per choice after one context.
	MultipleChoice Kind = iota
	// MultipleInput scores one shared continuation after one context per
	// choice (lm-eval's "partial scoring" of winogrande).
	MultipleInput
	// Loglikelihood scores a single continuation (lambada): its
	// log-likelihood and whether greedy decoding would produce it.
	Loglikelihood
)

// Doc is one document rendered as lm-eval renders it.
type Doc struct {
	// Fields is the document in the field layout of the HF dataset lm-eval
	// loads (after process_docs); it is logged in samples files and
	// compared to tell whether a few-shot example is the document itself.
	Fields map[string]any
	// Text is doc_to_text (unused for MultipleInput).
	Text string
	// Choices is doc_to_choice: the continuations of a MultipleChoice doc,
	// the contexts of a MultipleInput doc, nil for Loglikelihood.
	Choices []string
	// Target is doc_to_target as text: the gold choice (MultipleChoice),
	// the shared suffix (MultipleInput) or the continuation (Loglikelihood).
	Target string
	// Gold is the index of the gold choice; 0 for Loglikelihood.
	Gold int

	key string // canonical JSON of Fields, for equality
}

// Key is a canonical encoding of Fields: two docs are the same document,
// in the sense of Python's dict equality that lm-eval's sampler uses, when
// their keys are equal.
func (d *Doc) Key() string {
	if d.key == "" {
		b, err := json.Marshal(d.Fields)
		if err != nil {
			panic(fmt.Sprintf("task: doc fields not encodable: %v", err))
		}
		d.key = string(b)
	}
	return d.key
}

// Task is one lm-eval task: its config and its document loaders.
type Task struct {
	// Name is the task name in results files ("arc_easy", "mmlu_anatomy").
	Name string
	// Alias is lm-eval's task_alias ("anatomy" for mmlu_anatomy); empty when none.
	Alias string
	// Kind is how the model is asked.
	Kind Kind
	// Description is prepended to every context (MMLU's subject line).
	Description string
	// TargetDelimiter goes between a context and its continuation (" ").
	TargetDelimiter string
	// FewshotDelimiter ends each few-shot example ("\n\n").
	FewshotDelimiter string
	// Metrics are the metric names reported, in lm-eval's order.
	Metrics []string
	// Version is metadata.version of the task config.
	Version float64
	// FirstN takes the first k few-shot docs in order (lm-eval's first_n
	// sampler, MMLU) instead of a seeded random sample.
	FirstN bool
	// DrawExtra draws k+1 few-shot docs and keeps the first k that are not
	// the document itself: lm-eval does so when the config's fewshot_split
	// equals its test_split, which includes both being unset.
	DrawExtra bool
	// TargetIsText marks a MultipleChoice task whose doc_to_target yields
	// the gold choice's text rather than its index (copa).
	TargetIsText bool
	// Config is the task config as lm-eval writes it in the results file
	// ("configs"): dataset, splits, templates, delimiters, metrics.
	Config map[string]any
	// EvalSplit and FewshotSplit name the splits used.
	EvalSplit, FewshotSplit string

	load        func(dir string) ([]Doc, error)
	loadFewshot func(dir string) ([]Doc, string, error)

	// Documents read so far, by data folder.
	docs, pool       []Doc
	docsDir, poolDir string
}

// Docs reads the evaluation documents from the data folder dir (once per
// folder; later calls return the same slice).
func (t *Task) Docs(dir string) ([]Doc, error) {
	if t.docs != nil && t.docsDir == dir {
		return t.docs, nil
	}
	docs, err := t.load(dir)
	if err != nil {
		return nil, fmt.Errorf("task %s: %w", t.Name, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("task %s: no documents", t.Name)
	}
	t.docs, t.docsDir = docs, dir
	return docs, nil
}

// FewshotDocs reads the pool few-shot examples are drawn from (once per
// folder) and updates FewshotSplit to the split actually read.
func (t *Task) FewshotDocs(dir string) ([]Doc, error) {
	if t.pool != nil && t.poolDir == dir {
		return t.pool, nil
	}
	docs, split, err := t.loadFewshot(dir)
	if err != nil {
		return nil, fmt.Errorf("task %s few-shot pool: %w", t.Name, err)
	}
	if split != "" {
		t.FewshotSplit = split
		t.Config["fewshot_split"] = split
	}
	t.pool, t.poolDir = docs, dir
	return docs, nil
}

// Group is a named set of tasks whose metrics lm-eval aggregates, weighted
// by size (MMLU and its four categories).
type Group struct {
	Name  string
	Alias string
	// Tasks are the leaf task names the group aggregates over.
	Tasks []string
	// Subgroups are the names of groups directly below this one.
	Subgroups []string
	// Version is the group config's metadata.version.
	Version float64
}

// Selection is what a list of task and group names resolves to.
type Selection struct {
	Tasks  []*Task
	Groups []Group
}

// Resolve turns names such as "mmlu,winogrande" (already split) into the
// tasks to run and the groups to aggregate. Unknown names are an error that
// lists the known ones.
func Resolve(names []string) (Selection, error) {
	var sel Selection
	seenTask := map[string]bool{}
	seenGroup := map[string]bool{}
	addTask := func(name string) {
		if !seenTask[name] {
			seenTask[name] = true
			sel.Tasks = append(sel.Tasks, newTask(name))
		}
	}
	var addGroup func(g Group)
	addGroup = func(g Group) {
		if seenGroup[g.Name] {
			return
		}
		seenGroup[g.Name] = true
		sel.Groups = append(sel.Groups, g)
		for _, sub := range g.Subgroups {
			sg, _ := lookupGroup(sub)
			addGroup(sg)
		}
		for _, name := range g.Tasks {
			addTask(name)
		}
	}
	for _, raw := range names {
		name := strings.TrimSpace(raw)
		if name == "" {
			continue
		}
		if g, ok := lookupGroup(name); ok {
			addGroup(g)
			continue
		}
		if knownTask(name) {
			addTask(name)
			continue
		}
		return Selection{}, fmt.Errorf("unknown task %q; known: %s", name, knownList())
	}
	if len(sel.Tasks) == 0 {
		return Selection{}, fmt.Errorf("no tasks given; known: %s", knownList())
	}
	return sel, nil
}

// Names lists every task and group name Resolve accepts, sorted.
func Names() []string {
	names := append([]string{}, plainTasks...)
	for _, g := range mmluGroups() {
		names = append(names, g.Name)
	}
	for _, s := range mmluSubjects {
		names = append(names, "mmlu_"+s.name)
	}
	sort.Strings(names)
	return names
}

// knownList names the tasks and groups for error messages, with the MMLU
// subjects summarised.
func knownList() string {
	names := append([]string{}, plainTasks...)
	for _, g := range mmluGroups() {
		names = append(names, g.Name)
	}
	return strings.Join(names, ", ") + ", and mmlu_<subject> for each of the 57 MMLU subjects"
}

// plainTasks are the tasks outside MMLU, in the order of the switch in newTask.
var plainTasks = []string{
	"arc_easy", "arc_challenge", "piqa", "hellaswag", "winogrande",
	"lambada_openai", "boolq", "copa", "openbookqa", "sciq",
}

func knownTask(name string) bool {
	for _, n := range plainTasks {
		if n == name {
			return true
		}
	}
	_, ok := mmluSubject(name)
	return ok
}

// newTask builds the named task; name must be known.
func newTask(name string) *Task {
	switch name {
	case "arc_easy":
		return arcTask("arc_easy", "ARC-Easy")
	case "arc_challenge":
		return arcTask("arc_challenge", "ARC-Challenge")
	case "piqa":
		return piqaTask()
	case "hellaswag":
		return hellaswagTask()
	case "winogrande":
		return winograndeTask()
	case "lambada_openai":
		return lambadaTask()
	case "boolq":
		return boolqTask()
	case "copa":
		return copaTask()
	case "openbookqa":
		return openbookqaTask()
	case "sciq":
		return sciqTask()
	}
	s, ok := mmluSubject(name)
	if !ok {
		panic("task: newTask of unknown task " + name)
	}
	return mmluTask(s)
}

// base returns a Task with lm-eval's defaults filled in.
func base(name string, kind Kind, metrics ...string) *Task {
	return &Task{
		Name:             name,
		Kind:             kind,
		TargetDelimiter:  " ",
		FewshotDelimiter: "\n\n",
		Metrics:          metrics,
		Version:          1.0,
	}
}

// config builds the "configs" entry of the results file from the task and
// the YAML fields that describe its prompt.
func (t *Task) config(dataset, datasetName string, splits map[string]any, templates map[string]any) {
	c := map[string]any{
		"task":                 t.Name,
		"dataset_path":         dataset,
		"output_type":          outputType(t.Kind),
		"description":          t.Description,
		"target_delimiter":     t.TargetDelimiter,
		"fewshot_delimiter":    t.FewshotDelimiter,
		"repeats":              1,
		"should_decontaminate": false,
		"metadata":             map[string]any{"version": t.Version},
	}
	if datasetName != "" {
		c["dataset_name"] = datasetName
	}
	if t.Alias != "" {
		c["task_alias"] = t.Alias
	}
	for k, v := range splits {
		c[k] = v
	}
	for k, v := range templates {
		c[k] = v
	}
	var ml []any
	for _, m := range t.Metrics {
		agg, hib := "mean", true
		if m == "perplexity" {
			agg, hib = "perplexity", false
		}
		ml = append(ml, map[string]any{"metric": m, "aggregation": agg, "higher_is_better": hib})
	}
	c["metric_list"] = ml
	if t.FirstN {
		c["fewshot_config"] = map[string]any{"sampler": "first_n"}
	}
	t.Config = c
}

func outputType(k Kind) string {
	if k == Loglikelihood {
		return "loglikelihood"
	}
	return "multiple_choice"
}

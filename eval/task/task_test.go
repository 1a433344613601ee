package task

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

func TestResolve(t *testing.T) {
	cases := []struct {
		name       string
		in         []string
		wantTasks  int
		wantGroups int
		wantErr    string
	}{
		{"mmlu/all_subjects_and_categories", []string{"mmlu"}, 57, 5, ""},
		{"mmlu/one_category", []string{"mmlu_stem"}, 19, 1, ""},
		{"mmlu/category_sizes_add_up", []string{"mmlu_stem", "mmlu_other", "mmlu_social_sciences", "mmlu_humanities"}, 57, 4, ""},
		{"plain/deduplicated", []string{"winogrande", " arc_easy", "winogrande"}, 2, 0, ""},
		{"unknown/lists_known", []string{"arc_easy", "hellaswg"}, 0, 0, `unknown task "hellaswg"; known: arc_easy, arc_challenge`},
		{"empty", []string{""}, 0, 0, "no tasks given"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := Resolve(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(sel.Tasks) != c.wantTasks || len(sel.Groups) != c.wantGroups {
				t.Errorf("%d tasks, %d groups; want %d, %d", len(sel.Tasks), len(sel.Groups), c.wantTasks, c.wantGroups)
			}
		})
	}
}

func TestNames(t *testing.T) {
	names := Names()
	if len(names) != 10+5+57 {
		t.Errorf("%d names, want 10 tasks + mmlu and 4 categories + 57 subjects", len(names))
	}
	for _, n := range names {
		if _, err := Resolve([]string{n}); err != nil {
			t.Errorf("listed name %s does not resolve: %v", n, err)
		}
	}
}

// TestMissingFiles checks that a missing data file is named with the
// folder it was looked for in.
func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, task string
		fewshot    bool
		want       string
	}{
		{"eval_split", "arc_easy", false, filepath.Join(dir, "arc_easy/ARC-Easy-Test.jsonl")},
		{"fewshot_pool", "piqa", true, filepath.Join(dir, "piqa/train.jsonl")},
		{"hellaswag_both_layouts", "hellaswag", false, filepath.Join(dir, "hellaswag/hellaswag_val_full.txt.bz2")},
		{"winogrande_all_train_sizes", "winogrande", true, filepath.Join(dir, "winogrande/train_xs.jsonl")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := Resolve([]string{c.task})
			if err != nil {
				t.Fatal(err)
			}
			if c.fewshot {
				_, err = sel.Tasks[0].FewshotDocs(dir)
			} else {
				_, err = sel.Tasks[0].Docs(dir)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.task) {
				t.Errorf("error %v, want one naming task %s and %s", err, c.task, c.want)
			}
		})
	}
}

// TestHellaswagJSONL checks process_docs on rowanz's jsonl layout: ctx_b
// capitalised (rest lowered), [title] → ". ", brackets removed, double
// spaces collapsed, string and integer labels.
func TestHellaswagJSONL(t *testing.T) {
	sel, _ := Resolve([]string{"hellaswag"})
	docs, err := sel.Tasks[0].Docs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"activitynet/query", docs[0].Text, "Roof shingle removal: A man is sitting on a roof. He"},
		{"activitynet/target", docs[0].Target, "starts pulling up roofing on a roof."},
		// "[step]" leaves three spaces; one pass of replace("  ", " ") leaves two, as in Python.
		{"wikihow/query", docs[1].Text, "Finance and Business: How to make money online. Start a blog.  Write about what you know. Then ask readers"},
		// No strip after removing brackets.
		{"wikihow/choice_brackets", docs[1].Choices[0], " Post daily."},
		{"wikihow/choice_title", docs[1].Choices[1], "Sell ads. Run them."},
		{"wikihow/gold_from_string_label", docs[1].Target, "Sell ads. Run them."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

// TestSharedDataCounts loads every task from shared/data and checks the
// document counts SOURCES.md gives.
func TestSharedDataCounts(t *testing.T) {
	data := fixture.DataPath(t)
	want := map[string]int{
		"arc_easy": 2376, "arc_challenge": 1172, "piqa": 1838, "hellaswag": 10042,
		"winogrande": 1267, "lambada_openai": 5153, "boolq": 3270, "copa": 100,
		"openbookqa": 500, "sciq": 1000, "mmlu_anatomy": 135,
	}
	for name, n := range want {
		t.Run(name, func(t *testing.T) {
			sel, _ := Resolve([]string{name})
			docs, err := sel.Tasks[0].Docs(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != n {
				t.Errorf("%d docs, want %d", len(docs), n)
			}
			for i, d := range docs {
				if sel.Tasks[0].Kind != Loglikelihood && (d.Gold < 0 || d.Gold >= len(d.Choices) || d.Choices[d.Gold] != d.Target && sel.Tasks[0].Kind == MultipleChoice) {
					t.Fatalf("doc %d: gold %d does not pick the target %q from %q", i, d.Gold, d.Target, d.Choices)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(data, "mmlu", "test")); err != nil {
		t.Fatal(err)
	}
	total := 0
	sel, _ := Resolve([]string{"mmlu"})
	for _, tk := range sel.Tasks {
		docs, err := tk.Docs(data)
		if err != nil {
			t.Fatal(err)
		}
		total += len(docs)
	}
	if total != 14042 {
		t.Errorf("mmlu has %d test questions, want 14042", total)
	}
}

// TestHFLayouts reads the layouts the HF datasets publish, as a few-shot
// pool downloaded from the hub would be.
func TestHFLayouts(t *testing.T) {
	cases := []struct {
		task, text, target string
	}{
		{"arc_easy", "Question: Which piece of safety equipment is used to keep mold spores from entering the respiratory system?\nAnswer:", "breathing mask"},
		{"openbookqa", "A person wants to start saving money so that they can afford a nice vacation at the end of the year. After looking over their budget and expenses, they decide the best way to save money is to", "quit eating lunch out"},
		{"piqa", "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:", "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips."},
	}
	for _, c := range cases {
		t.Run(c.task, func(t *testing.T) {
			sel, _ := Resolve([]string{c.task})
			docs, err := sel.Tasks[0].Docs("testdata/hf")
			if err != nil {
				t.Fatal(err)
			}
			if docs[0].Text != c.text || docs[0].Target != c.target {
				t.Errorf("got (%q, %q), want (%q, %q)", docs[0].Text, docs[0].Target, c.text, c.target)
			}
		})
	}
}

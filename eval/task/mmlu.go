package task

import (
	"fmt"
	"strings"
)

// mmluSubject is one of MMLU's 57 subjects and its category, as in lm-eval's
// tasks/mmlu/_generate_configs.py.
type mmluSubjectInfo struct{ name, category string }

var mmluSubjects = []mmluSubjectInfo{
	{"abstract_algebra", "stem"}, {"anatomy", "stem"}, {"astronomy", "stem"},
	{"business_ethics", "other"}, {"clinical_knowledge", "other"},
	{"college_biology", "stem"}, {"college_chemistry", "stem"},
	{"college_computer_science", "stem"}, {"college_mathematics", "stem"},
	{"college_medicine", "other"}, {"college_physics", "stem"},
	{"computer_security", "stem"}, {"conceptual_physics", "stem"},
	{"econometrics", "social_sciences"}, {"electrical_engineering", "stem"},
	{"elementary_mathematics", "stem"}, {"formal_logic", "humanities"},
	{"global_facts", "other"}, {"high_school_biology", "stem"},
	{"high_school_chemistry", "stem"}, {"high_school_computer_science", "stem"},
	{"high_school_european_history", "humanities"},
	{"high_school_geography", "social_sciences"},
	{"high_school_government_and_politics", "social_sciences"},
	{"high_school_macroeconomics", "social_sciences"},
	{"high_school_mathematics", "stem"},
	{"high_school_microeconomics", "social_sciences"},
	{"high_school_physics", "stem"}, {"high_school_psychology", "social_sciences"},
	{"high_school_statistics", "stem"}, {"high_school_us_history", "humanities"},
	{"high_school_world_history", "humanities"}, {"human_aging", "other"},
	{"human_sexuality", "social_sciences"}, {"international_law", "humanities"},
	{"jurisprudence", "humanities"}, {"logical_fallacies", "humanities"},
	{"machine_learning", "stem"}, {"management", "other"}, {"marketing", "other"},
	{"medical_genetics", "other"}, {"miscellaneous", "other"},
	{"moral_disputes", "humanities"}, {"moral_scenarios", "humanities"},
	{"nutrition", "other"}, {"philosophy", "humanities"}, {"prehistory", "humanities"},
	{"professional_accounting", "other"}, {"professional_law", "humanities"},
	{"professional_medicine", "other"}, {"professional_psychology", "social_sciences"},
	{"public_relations", "social_sciences"}, {"security_studies", "social_sciences"},
	{"sociology", "social_sciences"}, {"us_foreign_policy", "social_sciences"},
	{"virology", "other"}, {"world_religions", "humanities"},
}

// mmluCategories is the order of the subgroups in lm-eval's _mmlu.yaml.
var mmluCategories = []string{"stem", "other", "social_sciences", "humanities"}

func mmluSubject(task string) (mmluSubjectInfo, bool) {
	for _, s := range mmluSubjects {
		if "mmlu_"+s.name == task {
			return s, true
		}
	}
	return mmluSubjectInfo{}, false
}

// mmluGroups are "mmlu" and its four categories, each aggregating acc over
// its subjects weighted by their sizes (aggregate_metric_list with
// weight_by_size: true, metadata version 2).
func mmluGroups() []Group {
	top := Group{Name: "mmlu", Alias: "mmlu", Version: 2}
	groups := []Group{top}
	for _, c := range mmluCategories {
		g := Group{Name: "mmlu_" + c, Alias: strings.ReplaceAll(c, "_", " "), Version: 2}
		for _, s := range mmluSubjects {
			if s.category == c {
				g.Tasks = append(g.Tasks, "mmlu_"+s.name)
			}
		}
		groups[0].Subgroups = append(groups[0].Subgroups, g.Name)
		groups[0].Tasks = append(groups[0].Tasks, g.Tasks...)
		groups = append(groups, g)
	}
	return groups
}

func lookupGroup(name string) (Group, bool) {
	for _, g := range mmluGroups() {
		if g.Name == name {
			return g, true
		}
	}
	return Group{}, false
}

// mmluTask is one subject of lm-eval's mmlu (tasks/mmlu/default/
// _default_template_yaml): a description naming the subject, the question
// (stripped) with its four lettered options, " A".." D" as continuations,
// the test split evaluated and the first k dev items as few-shot examples.
func mmluTask(s mmluSubjectInfo) *Task {
	t := base("mmlu_"+s.name, MultipleChoice, "acc")
	t.Alias = s.name
	t.Description = "The following are multiple choice questions (with answers) about " +
		strings.ReplaceAll(s.name, "_", " ") + ".\n\n"
	t.FirstN = true
	t.EvalSplit, t.FewshotSplit = "test", "dev"
	t.config("hails/mmlu_no_train", s.name,
		map[string]any{"test_split": "test", "fewshot_split": "dev"},
		map[string]any{
			"doc_to_text":   "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\nD. {{choices[3]}}\nAnswer:",
			"doc_to_target": "answer",
			"doc_to_choice": []any{"A", "B", "C", "D"},
			"tag":           "mmlu_" + s.category + "_tasks",
		})
	read := func(path string) ([]Doc, error) { return readMMLU(path, s.name) }
	t.load = fromFile(read, "mmlu/test/"+s.name+"_test.csv")
	t.loadFewshot = poolFromFile(read, "mmlu/dev/"+s.name+"_dev.csv")
	return t
}

// readMMLU reads hendrycks' headerless CSV: question, A, B, C, D, answer letter.
func readMMLU(path, subject string) ([]Doc, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	letters := []string{"A", "B", "C", "D"}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		if len(row) != 6 {
			return nil, fmt.Errorf("%s: row %d has %d fields, want 6 (question, A, B, C, D, answer)", path, i+1, len(row))
		}
		gold := strings.Index("ABCD", strings.TrimSpace(row[5]))
		if gold < 0 || len(strings.TrimSpace(row[5])) != 1 {
			return nil, fmt.Errorf("%s: row %d: answer %q is not A-D", path, i+1, row[5])
		}
		q, opts := row[0], row[1:5]
		text := pyStrip(q) + "\nA. " + opts[0] + "\nB. " + opts[1] + "\nC. " + opts[2] + "\nD. " + opts[3] + "\nAnswer:"
		docs[i] = Doc{
			Fields:  map[string]any{"question": q, "subject": subject, "choices": anySlice(opts), "answer": gold},
			Text:    text,
			Choices: letters,
			Target:  letters[gold],
			Gold:    gold,
		}
	}
	return docs, nil
}

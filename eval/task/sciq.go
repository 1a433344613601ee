package task

import (
	"encoding/json"
	"fmt"
	"os"
)

// sciqTask is lm-eval's sciq (tasks/sciq/sciq.yaml):
// "{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:" with the three
// distractors and then the correct answer as continuations (gold index 3),
// the test split evaluated, few-shot drawn from train.
func sciqTask() *Task {
	t := base("sciq", MultipleChoice, "acc", "acc_norm")
	t.EvalSplit, t.FewshotSplit = "test", "train"
	t.config("allenai/sciq", "",
		map[string]any{"training_split": "train", "validation_split": "validation", "test_split": "test"},
		map[string]any{
			"doc_to_text":   "{{support.lstrip()}}\nQuestion: {{question}}\nAnswer:",
			"doc_to_target": 3,
			"doc_to_choice": "{{[distractor1, distractor2, distractor3, correct_answer]}}",
		})
	t.load = fromFile(readSciQ, "sciq/test.json")
	t.loadFewshot = poolFromFile(readSciQ, "sciq/train.json")
	return t
}

// readSciQ reads AI2's SciQ JSON: a list of {question, distractor1-3, correct_answer, support}.
func readSciQ(path string) ([]Doc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []map[string]any
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	docs := make([]Doc, len(rows))
	names := []string{"question", "distractor1", "distractor2", "distractor3", "correct_answer", "support"}
	for i, row := range rows {
		f := map[string]any{}
		v := make([]string, len(names))
		for j, name := range names {
			if v[j], err = str(row, name, path, i); err != nil {
				return nil, err
			}
			f[name] = v[j]
		}
		choices := v[1:5]
		docs[i] = Doc{
			Fields:  f,
			Text:    pyLstrip(v[5]) + "\nQuestion: " + v[0] + "\nAnswer:",
			Choices: choices,
			Target:  choices[3],
			Gold:    3,
		}
	}
	return docs, nil
}

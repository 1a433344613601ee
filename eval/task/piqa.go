package task

import (
	"fmt"
	"strconv"
	"strings"
)

// piqaTask is lm-eval's piqa (tasks/piqa/piqa.yaml): "Question: {{goal}}\nAnswer:"
// with sol1 and sol2 as continuations. The validation split is evaluated
// and, as test_split is null, few-shot draws k+1 from train.
func piqaTask() *Task {
	t := base("piqa", MultipleChoice, "acc", "acc_norm")
	t.EvalSplit, t.FewshotSplit, t.DrawExtra = "validation", "train", true
	t.config("baber/piqa", "",
		map[string]any{"training_split": "train", "validation_split": "validation"},
		map[string]any{
			"doc_to_text":   "Question: {{goal}}\nAnswer:",
			"doc_to_target": "label",
			"doc_to_choice": "{{[sol1, sol2]}}",
		})
	t.load = fromFile(readPIQA, "piqa/valid.jsonl")
	t.loadFewshot = poolFromFile(readPIQA, "piqa/train.jsonl")
	return t
}

// readPIQA reads PIQA jsonl (goal, sol1, sol2) with the labels in the
// rows (HF's label column) or, as in the original release, in the .lst
// file beside it (valid.jsonl → valid-labels.lst).
func readPIQA(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	labelPath := strings.TrimSuffix(path, ".jsonl") + "-labels.lst"
	var labels []string
	if len(rows) > 0 && rows[0]["label"] != nil {
		for i, row := range rows {
			l, err := integer(row, "label", path, i)
			if err != nil {
				return nil, err
			}
			labels = append(labels, strconv.Itoa(l))
		}
		labelPath = path
	} else if labels, err = readLines(labelPath); err != nil {
		return nil, err
	}
	if len(labels) != len(rows) {
		return nil, fmt.Errorf("%s has %d labels for the %d rows of %s", labelPath, len(labels), len(rows), path)
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		goal, err := str(row, "goal", path, i)
		if err != nil {
			return nil, err
		}
		sol1, err := str(row, "sol1", path, i)
		if err != nil {
			return nil, err
		}
		sol2, err := str(row, "sol2", path, i)
		if err != nil {
			return nil, err
		}
		label, err := strconv.Atoi(strings.TrimSpace(labels[i]))
		if err != nil || label < 0 || label > 1 {
			return nil, fmt.Errorf("%s:%d: label %q is not 0 or 1", labelPath, i+1, labels[i])
		}
		choices := []string{sol1, sol2}
		docs[i] = Doc{
			Fields:  map[string]any{"goal": goal, "sol1": sol1, "sol2": sol2, "label": label},
			Text:    "Question: " + goal + "\nAnswer:",
			Choices: choices,
			Target:  choices[label],
			Gold:    label,
		}
	}
	return docs, nil
}

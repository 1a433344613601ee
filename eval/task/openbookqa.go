package task

import "fmt"

// openbookqaTask is lm-eval's openbookqa (tasks/openbookqa/openbookqa.yaml):
// the bare question_stem as context and the four choice texts as
// continuations, the test split evaluated, few-shot drawn from train.
// It reads the HF dataset's jsonl (id, question_stem, choices{text[],
// label[]}, answerKey; openbookqa/test.jsonl, train.jsonl) or MosaicML's
// openbook_qa.jsonl ({query, choices, gold}), whose query is the question stem.
func openbookqaTask() *Task {
	t := base("openbookqa", MultipleChoice, "acc", "acc_norm")
	t.EvalSplit, t.FewshotSplit = "test", "train"
	t.config("allenai/openbookqa", "main",
		map[string]any{"training_split": "train", "validation_split": "validation", "test_split": "test"},
		map[string]any{
			"doc_to_text":   "question_stem",
			"doc_to_target": "{{choices.label.index(answerKey.lstrip())}}",
			"doc_to_choice": "{{choices.text}}",
		})
	t.load = fromFile(readOpenBookQA, "openbookqa/test.jsonl", "openbookqa/openbook_qa.jsonl")
	t.loadFewshot = poolFromFile(readOpenBookQA, "openbookqa/train.jsonl")
	return t
}

func readOpenBookQA(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		if _, hf := row["question_stem"]; hf {
			if docs[i], err = openbookqaHF(row, path, i); err != nil {
				return nil, err
			}
			continue
		}
		stem, err := str(row, "query", path, i)
		if err != nil {
			return nil, err
		}
		choices, err := stringList(row, "choices", path, i)
		if err != nil {
			return nil, err
		}
		gold, err := integer(row, "gold", path, i)
		if err != nil {
			return nil, err
		}
		if gold < 0 || gold >= len(choices) || len(choices) > 26 {
			return nil, fmt.Errorf("%s: row %d: gold %d is not an index into %d choices", path, i+1, gold, len(choices))
		}
		labels := make([]string, len(choices))
		for j := range labels {
			labels[j] = string(rune('A' + j))
		}
		docs[i] = Doc{
			Fields: map[string]any{
				"question_stem": stem, "answerKey": labels[gold],
				"choices": map[string]any{"text": anySlice(choices), "label": anySlice(labels)},
			},
			Text:    stem,
			Choices: choices,
			Target:  choices[gold],
			Gold:    gold,
		}
	}
	return docs, nil
}

// openbookqaHF reads a row of the HF openbookqa dataset.
func openbookqaHF(row map[string]any, path string, i int) (Doc, error) {
	stem, err := str(row, "question_stem", path, i)
	if err != nil {
		return Doc{}, err
	}
	key, err := str(row, "answerKey", path, i)
	if err != nil {
		return Doc{}, err
	}
	texts, labels, err := choiceColumns(row, path, i)
	if err != nil {
		return Doc{}, err
	}
	gold := -1
	for j, l := range labels {
		if l == pyLstrip(key) && gold < 0 {
			gold = j
		}
	}
	if gold < 0 {
		return Doc{}, fmt.Errorf("%s: row %d: answerKey %q is not among the labels %q", path, i+1, key, labels)
	}
	fields := map[string]any{}
	for k, v := range row {
		fields[k] = v
	}
	return Doc{Fields: fields, Text: stem, Choices: texts, Target: texts[gold], Gold: gold}, nil
}

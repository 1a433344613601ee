package task

import "fmt"

// arcTask is lm-eval's arc_easy / arc_challenge (tasks/arc/arc_easy.yaml):
// "Question: {{question}}\nAnswer:", the choice texts as continuations,
// test split evaluated, few-shot drawn from train. The AI2 jsonl nests the
// stem and choices under "question"; the loader flattens them as the HF
// ai2_arc dataset does.
func arcTask(name, subset string) *Task {
	t := base(name, MultipleChoice, "acc", "acc_norm")
	t.EvalSplit, t.FewshotSplit = "test", "train"
	t.config("allenai/ai2_arc", subset,
		map[string]any{"training_split": "train", "validation_split": "validation", "test_split": "test"},
		map[string]any{
			"doc_to_text":   "Question: {{question}}\nAnswer:",
			"doc_to_target": "{{choices.label.index(answerKey)}}",
			"doc_to_choice": "{{choices.text}}",
		})
	dir := name
	t.load = fromFile(readARC, dir+"/"+subset+"-Test.jsonl")
	t.loadFewshot = poolFromFile(readARC, dir+"/"+subset+"-Train.jsonl")
	return t
}

// readARC reads ARC jsonl in AI2's layout (id, question{stem,
// choices[{text, label}]}, answerKey) or the HF dataset's (id, question,
// choices{text[], label[]}, answerKey).
func readARC(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		id, err := str(row, "id", path, i)
		if err != nil {
			return nil, err
		}
		key, err := str(row, "answerKey", path, i)
		if err != nil {
			return nil, err
		}
		stem, texts, labels, err := arcQuestion(row, path, i)
		if err != nil {
			return nil, err
		}
		gold := -1
		for j, label := range labels {
			if label == key && gold < 0 {
				gold = j
			}
		}
		if gold < 0 {
			return nil, fmt.Errorf("%s: row %d: answerKey %q is not among the labels %q", path, i+1, key, labels)
		}
		docs[i] = Doc{
			Fields: map[string]any{
				"id": id, "question": stem, "answerKey": key,
				"choices": map[string]any{"text": anySlice(texts), "label": anySlice(labels)},
			},
			Text:    "Question: " + stem + "\nAnswer:",
			Choices: texts,
			Target:  texts[gold],
			Gold:    gold,
		}
	}
	return docs, nil
}

// arcQuestion reads the stem, choice texts and labels of an ARC row in
// either layout.
func arcQuestion(row map[string]any, path string, i int) (stem string, texts, labels []string, err error) {
	if flat, ok := row["question"].(string); ok {
		texts, labels, err = choiceColumns(row, path, i)
		return flat, texts, labels, err
	}
	q, ok := row["question"].(map[string]any)
	if !ok {
		return "", nil, nil, fmt.Errorf("%s: row %d: field \"question\" is neither a string nor an object", path, i+1)
	}
	if stem, err = str(q, "stem", path, i); err != nil {
		return "", nil, nil, err
	}
	rawChoices, ok := q["choices"].([]any)
	if !ok {
		return "", nil, nil, fmt.Errorf("%s: row %d: question.choices is not a list", path, i+1)
	}
	for j, rc := range rawChoices {
		c, ok := rc.(map[string]any)
		if !ok {
			return "", nil, nil, fmt.Errorf("%s: row %d: question.choices[%d] is not an object", path, i+1, j)
		}
		text, err := str(c, "text", path, i)
		if err != nil {
			return "", nil, nil, err
		}
		label, err := str(c, "label", path, i)
		if err != nil {
			return "", nil, nil, err
		}
		texts = append(texts, text)
		labels = append(labels, label)
	}
	return stem, texts, labels, nil
}

// choiceColumns reads HF's choices{text[], label[]} column.
func choiceColumns(row map[string]any, path string, i int) (texts, labels []string, err error) {
	c, ok := row["choices"].(map[string]any)
	if !ok {
		return nil, nil, fmt.Errorf("%s: row %d: field \"choices\" is not an object", path, i+1)
	}
	if texts, err = stringList(c, "text", path, i); err != nil {
		return nil, nil, err
	}
	if labels, err = stringList(c, "label", path, i); err != nil {
		return nil, nil, err
	}
	if len(texts) != len(labels) {
		return nil, nil, fmt.Errorf("%s: row %d: %d choice texts for %d labels", path, i+1, len(texts), len(labels))
	}
	return texts, labels, nil
}

package task

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// boolqTask is lm-eval's boolq (tasks/super_glue/boolq/default.yaml):
// "{{passage}}\nQuestion: {{question}}?\nAnswer:" with " no" / " yes",
// the validation split evaluated, few-shot drawing k+1 from train.
//
// It reads SuperGLUE's val.jsonl when present, else MosaicML's
// reformatted boolq.jsonl, whose query "Passage: P\nQuestion: Q?" is split
// back into passage and question.
func boolqTask() *Task {
	t := base("boolq", MultipleChoice, "acc")
	t.Version = 2.0
	t.EvalSplit, t.FewshotSplit, t.DrawExtra = "validation", "train", true
	t.config("super_glue", "boolq",
		map[string]any{"training_split": "train", "validation_split": "validation"},
		map[string]any{
			"doc_to_text":   "{{passage}}\nQuestion: {{question}}?\nAnswer:",
			"doc_to_target": "label",
			"doc_to_choice": []any{"no", "yes"},
		})
	t.load = fromFile(readBoolQ, "boolq/val.jsonl", "boolq/boolq.jsonl")
	t.loadFewshot = poolFromFile(readBoolQ, "boolq/train.jsonl")
	return t
}

func readBoolQ(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	choices := []string{"no", "yes"}
	for i, row := range rows {
		var passage, question string
		var label int
		if _, mosaic := row["query"]; mosaic {
			q, err := str(row, "query", path, i)
			if err != nil {
				return nil, err
			}
			cut := strings.LastIndex(q, "\nQuestion: ")
			if !strings.HasPrefix(q, "Passage: ") || cut < 0 || !strings.HasSuffix(q, "?") {
				return nil, fmt.Errorf("%s: row %d: query is not \"Passage: …\\nQuestion: …?\"", path, i+1)
			}
			passage = q[len("Passage: "):cut]
			question = strings.TrimSuffix(q[cut+len("\nQuestion: "):], "?")
			if label, err = integer(row, "gold", path, i); err != nil {
				return nil, err
			}
		} else {
			if passage, err = str(row, "passage", path, i); err != nil {
				return nil, err
			}
			if question, err = str(row, "question", path, i); err != nil {
				return nil, err
			}
			if label, err = boolLabel(row["label"]); err != nil {
				return nil, fmt.Errorf("%s: row %d: %w", path, i+1, err)
			}
		}
		if label < 0 || label > 1 {
			return nil, fmt.Errorf("%s: row %d: label %d is not 0 or 1", path, i+1, label)
		}
		docs[i] = Doc{
			Fields:  map[string]any{"question": question, "passage": passage, "idx": i, "label": label},
			Text:    passage + "\nQuestion: " + question + "?\nAnswer:",
			Choices: choices,
			Target:  choices[label],
			Gold:    label,
		}
	}
	return docs, nil
}

// boolLabel reads SuperGLUE's label, a JSON bool or 0/1.
func boolLabel(v any) (int, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		return int(x), nil
	}
	return 0, fmt.Errorf("label %v is not a bool or 0/1", v)
}

// copaTask is lm-eval's copa (tasks/super_glue/copa/utils.py): the premise
// without its final character plus " because" / " therefore", and
// " " + the choice with its first letter lowered as continuations, so with
// the target delimiter " " each continuation starts with two spaces, as in
// lm-eval. The validation split is evaluated, few-shot draws k+1 from train.
//
// It reads SuperGLUE's val.jsonl when present, else MosaicML's copa.jsonl,
// whose query is the premise with ", because" / ", therefore" in place of
// its final period.
func copaTask() *Task {
	t := base("copa", MultipleChoice, "acc")
	t.TargetIsText = true
	t.EvalSplit, t.FewshotSplit, t.DrawExtra = "validation", "train", true
	t.config("super_glue", "copa",
		map[string]any{"training_split": "train", "validation_split": "validation"},
		map[string]any{
			"doc_to_text":   "utils.doc_to_text",
			"doc_to_target": "utils.doc_to_target",
			"doc_to_choice": "utils.doc_to_choice",
		})
	t.load = fromFile(readCOPA, "copa/val.jsonl", "copa/copa.jsonl")
	t.loadFewshot = poolFromFile(readCOPA, "copa/train.jsonl")
	return t
}

// lowerFirst is copa's convert_choice: choice[0].lower() + choice[1:].
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

func readCOPA(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		parse := copaSuperGLUE
		if _, mosaic := row["query"]; mosaic {
			parse = copaMosaic
		}
		r, err := parse(row, path, i)
		if err != nil {
			return nil, err
		}
		if r.label < 0 || r.label > 1 {
			return nil, fmt.Errorf("%s: row %d: label %d is not 0 or 1", path, i+1, r.label)
		}
		choices := []string{" " + lowerFirst(r.choice[0]), " " + lowerFirst(r.choice[1])}
		docs[i] = Doc{
			Fields: map[string]any{"premise": r.stem + ".", "choice1": r.choice[0], "choice2": r.choice[1],
				"question": r.question, "idx": i, "label": r.label},
			Text:    r.stem + " " + copaConnectors[r.question],
			Choices: choices,
			Target:  choices[r.label],
			Gold:    r.label,
		}
	}
	return docs, nil
}

// copaConnectors are doc_to_text's connectors by question.
var copaConnectors = map[string]string{"cause": "because", "effect": "therefore"}

// copaRow is a COPA item: the premise without its final character, the
// question ("cause"/"effect"), the two choices and the label.
type copaRow struct {
	stem, question string
	choice         [2]string
	label          int
}

// copaMosaic reads MosaicML's {query: "P, because", choices, gold}.
func copaMosaic(row map[string]any, path string, i int) (copaRow, error) {
	var r copaRow
	q, err := str(row, "query", path, i)
	if err != nil {
		return r, err
	}
	for name, conn := range copaConnectors {
		if strings.HasSuffix(q, ", "+conn) {
			r.stem, r.question = strings.TrimSuffix(q, ", "+conn), name
		}
	}
	if r.question == "" {
		return r, fmt.Errorf("%s: row %d: query does not end in \", because\" or \", therefore\"", path, i+1)
	}
	cs, err := stringList(row, "choices", path, i)
	if err != nil {
		return r, err
	}
	if len(cs) != 2 {
		return r, fmt.Errorf("%s: row %d: %d choices, want 2", path, i+1, len(cs))
	}
	r.choice = [2]string{cs[0], cs[1]}
	r.label, err = integer(row, "gold", path, i)
	return r, err
}

// copaSuperGLUE reads SuperGLUE's {premise, choice1, choice2, question, label}.
func copaSuperGLUE(row map[string]any, path string, i int) (copaRow, error) {
	var r copaRow
	premise, err := str(row, "premise", path, i)
	if err != nil {
		return r, err
	}
	if r.question, err = str(row, "question", path, i); err != nil {
		return r, err
	}
	if _, ok := copaConnectors[r.question]; !ok {
		return r, fmt.Errorf("%s: row %d: question %q is not cause or effect", path, i+1, r.question)
	}
	for j, name := range []string{"choice1", "choice2"} {
		if r.choice[j], err = str(row, name, path, i); err != nil {
			return r, err
		}
	}
	if r.label, err = integer(row, "label", path, i); err != nil {
		return r, err
	}
	p := pyStrip(premise)
	_, n := utf8.DecodeLastRuneInString(p)
	r.stem = p[:len(p)-n]
	return r, nil
}

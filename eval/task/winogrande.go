package task

import (
	"fmt"
	"strings"
)

// winograndeTask is lm-eval's winogrande (tasks/winogrande/default.yaml and
// preprocess_winogrande.py): partial scoring, one context per option
// (the sentence up to "_" with the option put in) and the rest of the
// sentence, stripped, as the shared continuation. The validation split
// (dev.jsonl) is evaluated and, as test_split is unset, few-shot draws k+1
// from train_xl. When train_xl.jsonl is absent the pool is the largest
// of train_l, train_m, train_s, train_xs present, and FewshotSplit says which.
func winograndeTask() *Task {
	t := base("winogrande", MultipleInput, "acc")
	t.EvalSplit, t.FewshotSplit, t.DrawExtra = "validation", "train", true
	t.config("allenai/winogrande", "winogrande_xl",
		map[string]any{"training_split": "train", "validation_split": "validation"},
		map[string]any{
			"doc_to_text":     "preprocess_winogrande.doc_to_text",
			"doc_to_target":   "preprocess_winogrande.doc_to_target",
			"doc_to_choice":   "preprocess_winogrande.doc_to_choice",
			"multiple_inputs": true,
		})
	t.load = fromFile(readWinogrande, "winogrande/dev.jsonl")
	t.loadFewshot = func(dir string) ([]Doc, string, error) {
		sizes := []string{"xl", "l", "m", "s", "xs"}
		var cands []string
		for _, s := range sizes {
			cands = append(cands, "winogrande/train_"+s+".jsonl")
		}
		p, err := findFile(dir, cands...)
		if err != nil {
			return nil, "", err
		}
		docs, err := readWinogrande(p)
		split := "train"
		if !strings.HasSuffix(p, "train_xl.jsonl") {
			split = strings.TrimSuffix(p[strings.LastIndex(p, "/")+1:], ".jsonl") + " (winogrande_xl train absent)"
		}
		return docs, split, err
	}
	return t
}

// readWinogrande reads WinoGrande jsonl (sentence, option1, option2,
// answer "1"/"2"). A labels file beside it (dev-labels.lst) is not needed:
// the answers are in the jsonl.
func readWinogrande(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		var f [4]string
		for j, name := range []string{"sentence", "option1", "option2", "answer"} {
			if f[j], err = str(row, name, path, i); err != nil {
				return nil, err
			}
		}
		sentence, answer := f[0], f[3]
		idx := strings.Index(sentence, "_")
		if idx < 0 {
			return nil, fmt.Errorf("%s: row %d: sentence has no \"_\"", path, i+1)
		}
		gold := map[string]int{"1": 0, "2": 1}
		g, ok := gold[answer]
		if !ok {
			return nil, fmt.Errorf("%s: row %d: answer %q is not \"1\" or \"2\"", path, i+1, answer)
		}
		// doc_to_choice: sentence[:idx] + option; doc_to_target: sentence[idx+1:].strip()
		choices := []string{sentence[:idx] + f[1], sentence[:idx] + f[2]}
		docs[i] = Doc{
			Fields:  map[string]any{"sentence": sentence, "option1": f[1], "option2": f[2], "answer": answer},
			Choices: choices,
			Target:  pyStrip(sentence[idx+1:]),
			Gold:    g,
		}
	}
	return docs, nil
}

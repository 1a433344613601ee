package task

import (
	"compress/bzip2"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// hellaswagTask is lm-eval's hellaswag (tasks/hellaswag/hellaswag.yaml and
// utils.py): query = preprocess(activity_label + ": " + ctx_a + " " +
// ctx_b.capitalize()), the preprocessed endings as continuations, the
// validation split evaluated, few-shot drawing k+1 from train.
//
// With the original hellaswag_val.jsonl in the data folder the prompts are
// lm-eval's exactly. Without it the task reads klosax's text extraction
// (hellaswag_val_full.txt.bz2), which lost the ctx_a/ctx_b boundary and did
// not capitalise ctx_b; the loader then capitalises the fragment after the
// last ". " when it starts in lower case, which is where ctx_b starts for
// the ActivityNet items, and records "hellaswag_val_full.txt.bz2" as the
// dataset so results from it are not mistaken for exact ones.
func hellaswagTask() *Task {
	t := base("hellaswag", MultipleChoice, "acc", "acc_norm")
	t.EvalSplit, t.FewshotSplit, t.DrawExtra = "validation", "train", true
	t.config("Rowan/hellaswag", "",
		map[string]any{"training_split": "train", "validation_split": "validation"},
		map[string]any{
			"process_docs":  "utils.process_docs",
			"doc_to_text":   "{{query}}",
			"doc_to_target": "{{label}}",
			"doc_to_choice": "choices",
		})
	t.load = func(dir string) ([]Doc, error) {
		p, err := findFile(dir, "hellaswag/hellaswag_val.jsonl", "hellaswag/hellaswag_val_full.txt.bz2")
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(p, ".bz2") {
			t.Config["dataset_path"] = "klosax/hellaswag_text_data hellaswag_val_full.txt.bz2 (ctx_b capitalisation reconstructed)"
			return readHellaswagText(p)
		}
		return readHellaswagJSONL(p)
	}
	t.loadFewshot = poolFromFile(readHellaswagJSONL, "hellaswag/hellaswag_train.jsonl")
	return t
}

var bracketed = regexp.MustCompile(`\[.*?\]`)

// hellaswagPreprocess is utils.preprocess.
func hellaswagPreprocess(text string) string {
	text = pyStrip(text)
	text = strings.ReplaceAll(text, " [title]", ". ")
	text = bracketed.ReplaceAllString(text, "")
	return strings.ReplaceAll(text, "  ", " ")
}

func hellaswagDoc(fields map[string]any, query string, endings []string, label int) Doc {
	choices := make([]string, len(endings))
	for i, e := range endings {
		choices[i] = hellaswagPreprocess(e)
	}
	fields["query"] = query
	fields["choices"] = anySlice(choices)
	fields["gold"] = label
	return Doc{Fields: fields, Text: query, Choices: choices, Target: choices[label], Gold: label}
}

// readHellaswagJSONL reads rowanz's hellaswag_{train,val}.jsonl (the HF
// dataset's fields) and applies process_docs.
func readHellaswagJSONL(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		var f [3]string
		for j, name := range []string{"activity_label", "ctx_a", "ctx_b"} {
			if f[j], err = str(row, name, path, i); err != nil {
				return nil, err
			}
		}
		endings, err := stringList(row, "endings", path, i)
		if err != nil {
			return nil, err
		}
		label, err := hellaswagLabel(row["label"])
		if err != nil || label >= len(endings) {
			return nil, fmt.Errorf("%s: row %d: label %v is not an index into endings", path, i+1, row["label"])
		}
		query := hellaswagPreprocess(f[0] + ": " + f[1] + " " + pyCapitalize(f[2]))
		fields := map[string]any{}
		for k, v := range row {
			fields[k] = v
		}
		fields["label"] = strconv.Itoa(label)
		docs[i] = hellaswagDoc(fields, query, endings, label)
	}
	return docs, nil
}

// hellaswagLabel accepts the label as HF's string or rowanz's integer.
func hellaswagLabel(v any) (int, error) {
	switch x := v.(type) {
	case float64:
		return int(x), nil
	case string:
		return strconv.Atoi(x)
	}
	return 0, fmt.Errorf("label %v", v)
}

// readHellaswagText reads klosax's 6-lines-per-item extraction.
func readHellaswagText(path string) ([]Doc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines)%6 != 0 {
		return nil, fmt.Errorf("%s: %d lines, not a multiple of 6", path, len(lines))
	}
	docs := make([]Doc, len(lines)/6)
	for i := range docs {
		l := lines[6*i : 6*i+6]
		label, err := strconv.Atoi(strings.TrimSpace(l[1]))
		if err != nil || label < 0 || label > 3 {
			return nil, fmt.Errorf("%s:%d: label %q is not 0-3", path, 6*i+2, l[1])
		}
		query := hellaswagPreprocess(capitalizeLastFragment(l[0]))
		fields := map[string]any{"label": strconv.Itoa(label), "endings": anySlice(l[2:6])}
		docs[i] = hellaswagDoc(fields, query, l[2:6], label)
	}
	return docs, nil
}

// capitalizeLastFragment applies Python's capitalize to the text after the
// last ". " when it starts with a lower-case letter: the reconstruction of
// ctx_b.capitalize() for text that lost the ctx_a/ctx_b boundary.
func capitalizeLastFragment(s string) string {
	i := strings.LastIndex(s, ". ")
	if i < 0 {
		return s
	}
	frag := s[i+2:]
	r, _ := utf8.DecodeRuneInString(frag)
	if !unicode.IsLower(r) {
		return s
	}
	return s[:i+2] + pyCapitalize(frag)
}

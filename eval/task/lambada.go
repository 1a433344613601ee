package task

import "strings"

// lambadaTask is lm-eval's lambada_openai (tasks/lambada/lambada_openai.yaml):
// the text up to its last space-separated word as context, " " + that word
// as continuation, scored for perplexity and greedy-match accuracy. There is
// only a test split, so few-shot examples come from it too (k drawn, the
// document itself dropped if drawn, so a context can hold k-1 examples, as
// in lm-eval).
func lambadaTask() *Task {
	t := base("lambada_openai", Loglikelihood, "perplexity", "acc")
	t.EvalSplit, t.FewshotSplit = "test", "test"
	t.config("EleutherAI/lambada_openai", "default",
		map[string]any{"test_split": "test"},
		map[string]any{
			"doc_to_text":   "{{text.split(' ')[:-1]|join(' ')}}",
			"doc_to_target": "{{' '+text.split(' ')[-1]}}",
		})
	t.load = fromFile(readLambada, "lambada_openai/lambada_test.jsonl")
	t.loadFewshot = poolFromFile(readLambada, "lambada_openai/lambada_test.jsonl")
	return t
}

// readLambada reads OpenAI's lambada_test.jsonl: {"text": ...} per line.
func readLambada(path string) ([]Doc, error) {
	rows, err := readJSONL(path)
	if err != nil {
		return nil, err
	}
	docs := make([]Doc, len(rows))
	for i, row := range rows {
		text, err := str(row, "text", path, i)
		if err != nil {
			return nil, err
		}
		// Python's text.split(' ') splits on single spaces only.
		cut := strings.LastIndex(text, " ")
		docs[i] = Doc{
			Fields: map[string]any{"text": text},
			Text:   text[:max(cut, 0)],
			Target: " " + text[cut+1:],
		}
	}
	return docs, nil
}

package dataset

import (
	"fmt"
	"strings"
)

// The prompt templates of tatsu-lab/stanford_alpaca train.py (PROMPT_DICT),
// filled by str.format_map: prompt_input when the input is not empty.
const (
	AlpacaPromptInput = "Below is an instruction that describes a task, paired with an input that provides further context. " +
		"Write a response that appropriately completes the request.\n\n" +
		"### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
	AlpacaPromptNoInput = "Below is an instruction that describes a task. " +
		"Write a response that appropriately completes the request.\n\n" +
		"### Instruction:\n{instruction}\n\n### Response:"
)

// AlpacaPrompt renders an instruction and its (possibly empty) input as
// stanford_alpaca does. Like format_map, it substitutes the placeholders of
// the template only, never text inside the values.
func AlpacaPrompt(instruction, input string) string {
	tmpl := AlpacaPromptInput
	if input == "" {
		tmpl = AlpacaPromptNoInput
	}
	return strings.NewReplacer("{instruction}", instruction, "{input}", input).Replace(tmpl)
}

// Pair is one instruction example as text, and where it was read from.
type Pair struct {
	// Prompt is the source: the rendered template, or a prompt field as is.
	Prompt string
	// Response is the target text; the EOS is added when it is tokenised.
	Response string
	// File and Line locate the record, for errors.
	File string
	Line int
}

// ReadPairs reads instruction data from a JSON array or JSON Lines file.
// Each record is one of:
//
//   - Alpaca: "instruction", optional "input", "output", rendered with
//     AlpacaPrompt; databricks-dolly's "context" and "response" are accepted
//     for "input" and "output".
//   - prompt/response (mosaicml dolly_hhrlhf): "prompt" and "response",
//     used as they are (their prompts are already templated).
//
// Fields that are absent or null are missing; fields must be strings. A
// file with no record is an error wrapping ErrEmpty.
func ReadPairs(path string) ([]Pair, error) {
	recs, err := readRecordsFile(path)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, &Error{File: path, Err: ErrEmpty}
	}
	pairs := make([]Pair, len(recs))
	for i, r := range recs {
		if pairs[i], err = pairOf(path, r); err != nil {
			return nil, err
		}
	}
	return pairs, nil
}

func pairOf(file string, r record) (Pair, error) {
	p := Pair{File: file, Line: r.line}
	if _, ok := r.fields["instruction"]; ok {
		ins, err := r.required(file, "instruction")
		if err != nil {
			return p, err
		}
		in, err := firstString(file, r, "input", "context")
		if err != nil {
			return p, err
		}
		outField := "output"
		if _, ok := r.fields[outField]; !ok && r.fields["response"] != nil {
			outField = "response"
		}
		if p.Response, err = r.required(file, outField); err != nil {
			return p, err
		}
		p.Prompt = AlpacaPrompt(ins, in)
		return p, nil
	}
	if _, ok := r.fields["prompt"]; ok {
		var err error
		if p.Prompt, err = r.required(file, "prompt"); err != nil {
			return p, err
		}
		p.Response, err = r.required(file, "response")
		return p, err
	}
	return p, &Error{File: file, Line: r.line, Field: "instruction",
		Err: fmt.Errorf("missing (a record needs \"instruction\" and \"output\", or \"prompt\" and \"response\")")}
}

// firstString returns the first of the named optional string fields that is
// present, or "".
func firstString(file string, r record, names ...string) (string, error) {
	for _, name := range names {
		s, ok, err := r.str(file, name)
		if err != nil || ok {
			return s, err
		}
	}
	return "", nil
}

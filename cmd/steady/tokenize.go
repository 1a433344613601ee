package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/tokenizer"
)

// tokenizeOptions are the flags of `steady tokenize`.
type tokenizeOptions struct {
	file          string
	tokenizerPath string
	tokens        bool
	jsonl         bool
	specialAsText bool
}

func newTokenizeCmd() *cobra.Command {
	var o tokenizeOptions
	cmd := &cobra.Command{
		Use:   "tokenize [text]",
		Short: "Encode text to GPT-NeoX token ids (the tokenizer of Pythia, Mamba and Mamba-2)",
		Long: `Encode text with the GPT-NeoX-20B tokenizer (embedded) or any HF tokenizer.json
of the same family, exactly as HF tokenizers does, and print the ids as a JSON
array (or the tokens, with --tokens). No special tokens are added; special
tokens written in the text, such as <|endoftext|>, become their ids unless
--special-as-text is given.

With --jsonl, read JSON lines from stdin, each an object with a "text" field,
and write each back with an "ids" field (and "tokens" with --tokens) set.`,
		Example: `  steady tokenize "Hello world"
  steady tokenize --tokens --file story.txt
  steady tokenize --jsonl --tokenizer ckpt/tokenizer.json < texts.jsonl > ids.jsonl`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTokenize(cmd.InOrStdin(), cmd.OutOrStdout(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.file, "file", "", "encode the contents of this file")
	f.StringVar(&o.tokenizerPath, "tokenizer", "", "HF tokenizer.json to use (default: the embedded GPT-NeoX-20B tokenizer)")
	f.BoolVar(&o.tokens, "tokens", false, "print the tokens (byte-level spelling, Ġ for a space) instead of the ids")
	f.BoolVar(&o.jsonl, "jsonl", false, `read {"text": ...} JSON lines on stdin and write them back with "ids" added`)
	f.BoolVar(&o.specialAsText, "special-as-text", false, "encode special tokens in the text (<|endoftext|>) as plain text")
	return cmd
}

func runTokenize(stdin io.Reader, stdout io.Writer, args []string, o tokenizeOptions) error {
	tok := tokenizer.Default()
	if o.tokenizerPath != "" {
		var err error
		if tok, err = tokenizer.Load(o.tokenizerPath); err != nil {
			return err
		}
	}
	opt := tokenizer.EncodeOptions{SpecialAsText: o.specialAsText}
	inputs := len(args)
	if o.file != "" {
		inputs++
	}
	if o.jsonl {
		if inputs > 0 {
			return errors.New("--jsonl reads stdin: give no text argument and no --file")
		}
		return tokenizeJSONL(stdin, stdout, tok, opt, o.tokens)
	}
	var text string
	switch {
	case inputs != 1:
		return errors.New("give the text as one argument or with --file (or use --jsonl)")
	case o.file != "":
		data, err := os.ReadFile(o.file)
		if err != nil {
			return err
		}
		text = string(data)
	default:
		text = args[0]
	}
	ids := tok.AppendEncode(nil, text, opt)
	if o.tokens {
		_, err := fmt.Fprintf(stdout, "%s\n", marshal(tokenStrings(tok, ids)))
		return err
	}
	_, err := fmt.Fprintf(stdout, "%s\n", marshal(nonNil(ids)))
	return err
}

// nonNil makes the ids of an empty text print as [] rather than null.
func nonNil(ids []int32) []int32 {
	if ids == nil {
		return []int32{}
	}
	return ids
}

// marshal writes ids or token strings as JSON, leaving <, > and & as they
// are (tokens such as <|endoftext|> stay readable).
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // ids and strings always encode
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func tokenStrings(tok *tokenizer.Tokenizer, ids []int32) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i], _ = tok.Token(id)
	}
	return out
}

// jsonlBatch is how many lines are encoded at once, in parallel.
const jsonlBatch = 4096

// tokenizeJSONL copies JSON lines from r to w, setting "ids" (and "tokens")
// on each object from its "text". Other fields keep their order and bytes.
func tokenizeJSONL(r io.Reader, w io.Writer, tok *tokenizer.Tokenizer, opt tokenizer.EncodeOptions, withTokens bool) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<30)
	bw := bufio.NewWriter(w)
	var objs [][]jsonField
	var texts []string
	lineNo := 0
	flush := func() error {
		for i, ids := range tok.EncodeBatch(texts, opt) {
			fields := setField(objs[i], "ids", nonNil(ids))
			if withTokens {
				fields = setField(fields, "tokens", tokenStrings(tok, ids))
			}
			if err := writeObject(bw, fields); err != nil {
				return err
			}
		}
		objs, texts = objs[:0], texts[:0]
		return nil
	}
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		fields, text, err := parseTextLine(line)
		if err != nil {
			return fmt.Errorf("stdin line %d: %w", lineNo, err)
		}
		objs, texts = append(objs, fields), append(texts, text)
		if len(texts) == jsonlBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("stdin line %d: %w", lineNo+1, err)
	}
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
}

// jsonField is one member of a JSON object, its value kept as written.
type jsonField struct {
	key   string
	value json.RawMessage
}

// parseTextLine splits a JSON object into its fields, in order, and
// returns its "text" string.
func parseTextLine(line []byte) ([]jsonField, string, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, "", errors.New("not a JSON object")
	}
	var fields []jsonField
	var text *string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, "", err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, "", fmt.Errorf("field %q: %w", key, err)
		}
		if key == "text" {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, "", fmt.Errorf("field \"text\": not a string")
			}
			text = &s
		}
		fields = append(fields, jsonField{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, "", err
	}
	if text == nil {
		return nil, "", errors.New(`no "text" field`)
	}
	return fields, *text, nil
}

// setField replaces the value of key, or appends the field.
func setField(fields []jsonField, key string, value any) []jsonField {
	b := marshal(value)
	for i := range fields {
		if fields[i].key == key {
			fields[i].value = b
			return fields
		}
	}
	return append(fields, jsonField{key, b})
}

func writeObject(w *bufio.Writer, fields []jsonField) error {
	w.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			w.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		w.Write(k)
		w.WriteByte(':')
		w.Write(f.value)
	}
	_, err := w.WriteString("}\n")
	return err
}

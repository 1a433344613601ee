package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/generate"
	"github.com/steady-ml/steady/tokenizer"
	"github.com/steady-ml/steady/train"
)

type generateOptions struct {
	model, prompt, tokenizer string
	adapter                  string
	precision                train.Precision
	promptIDs                []int
	printIDs                 bool
	opt                      generate.Options
}

func newGenerateCmd() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate --model DIR --prompt TEXT",
		Short: "Continue a prompt, greedily or by sampling, streaming tokens as they come",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runGenerate(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint folder or hub id ORG/NAME[@REV]")
	f.StringVar(&o.adapter, "adapter", "", "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to apply")
	addPrecisionFlag(f, &o.precision, inferPrecisionUsage)
	f.StringVar(&o.prompt, "prompt", "", "text to continue")
	f.IntSliceVar(&o.promptIDs, "prompt-ids", nil, "token ids to continue, instead of --prompt (e.g. 1,2,3)")
	f.BoolVar(&o.printIDs, "print-ids", false, "print the new token ids instead of their text")
	f.StringVar(&o.tokenizer, "tokenizer", "", "tokenizer.json (default: the model folder's, else the embedded GPT-NeoX tokenizer)")
	f.IntVar(&o.opt.MaxNewTokens, "max-new-tokens", 64, "stop after this many new tokens")
	f.BoolVar(&o.opt.Sample, "do-sample", false, "sample instead of taking the most likely token")
	f.Float32Var(&o.opt.Temperature, "temperature", 1, "sampling temperature")
	f.IntVar(&o.opt.TopK, "top-k", 50, "sample from the k most likely tokens (0: all)")
	f.Float32Var(&o.opt.TopP, "top-p", 1, "sample from the smallest set of tokens whose probability reaches p")
	f.Uint64Var(&o.opt.Seed, "seed", 0, "sampling seed")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagsOneRequired("prompt", "prompt-ids")
	cmd.MarkFlagsMutuallyExclusive("prompt", "prompt-ids")
	return cmd
}

func runGenerate(cmd *cobra.Command, o generateOptions) error {
	dir, err := resolveModel(cmd.Context(), o.model)
	if err != nil {
		return err
	}
	lm, err := loadAdapted(cmd.Context(), dir, o.adapter, o.precision, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	tok, err := loadTokenizer(o.tokenizer, dir)
	if err != nil {
		return err
	}
	prompt := tok.Encode(o.prompt)
	if o.promptIDs != nil {
		prompt = prompt[:0]
		for _, id := range o.promptIDs {
			prompt = append(prompt, int32(id))
		}
	}
	if len(prompt) == 0 {
		return fmt.Errorf("the prompt encodes to no tokens")
	}
	for _, id := range prompt {
		if int(id) >= lm.VocabSize() {
			return fmt.Errorf("prompt token %d is outside the model's vocabulary of %d (a model with a small vocabulary needs --prompt-ids)", id, lm.VocabSize())
		}
	}
	o.opt.EOS = -1
	if eos, ok := tok.TokenID("<|endoftext|>"); ok {
		o.opt.EOS = eos
	}
	o.opt.Vocab = min(lm.VocabSize(), tok.VocabSize())
	out := cmd.OutOrStdout()
	emit := func(id int32) error { _, err := fmt.Fprintf(out, "%d ", id); return err }
	if !o.printIDs {
		fmt.Fprint(out, tok.Decode(prompt))
		stream := &textStream{tok: tok, w: out}
		defer stream.flush()
		emit = stream.add
	}
	_, err = generate.Generate(lm, prompt, o.opt, emit)
	fmt.Fprintln(out)
	return err
}

// loadTokenizer reads an explicit tokenizer.json, else the model folder's,
// else returns the embedded GPT-NeoX tokenizer.
func loadTokenizer(path, modelDir string) (*tokenizer.Tokenizer, error) {
	if path != "" {
		return tokenizer.Load(path)
	}
	if p := filepath.Join(modelDir, "tokenizer.json"); fileExists(p) {
		return tokenizer.Load(p)
	}
	return tokenizer.Default(), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// textStream writes the text of tokens as they come, holding back the bytes
// of a character split between tokens until it is complete.
type textStream struct {
	tok     *tokenizer.Tokenizer
	w       io.Writer
	pending []byte
}

func (s *textStream) add(id int32) error {
	s.pending = s.tok.AppendBytes(s.pending, []int32{id}, tokenizer.DecodeOptions{SkipSpecialTokens: true})
	n := completeUTF8Prefix(s.pending)
	if n == 0 {
		return nil
	}
	_, err := s.w.Write(s.pending[:n])
	s.pending = append(s.pending[:0], s.pending[n:]...)
	return err
}

// flush writes what is left, invalid bytes and all.
func (s *textStream) flush() {
	s.w.Write(s.pending)
	s.pending = s.pending[:0]
}

// completeUTF8Prefix returns the length of b without a trailing incomplete
// UTF-8 sequence (at most 3 bytes that could still become a character).
func completeUTF8Prefix(b []byte) int {
	for back := 1; back <= 3 && back <= len(b); back++ {
		c := b[len(b)-back]
		if c < 0x80 {
			return len(b)
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-back:]) {
				return len(b) - back
			}
			return len(b)
		}
	}
	return len(b)
}

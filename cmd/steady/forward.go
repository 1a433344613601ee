package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/safetensors"
	"github.com/steady-ml/steady/train"
)

type forwardOptions struct {
	model, input, output string
	adapter              string
	precision            train.Precision
	recurrent            bool
	chunk                int
}

func newForwardCmd() *cobra.Command {
	var o forwardOptions
	cmd := &cobra.Command{
		Use:   "forward --model DIR --input ids.safetensors --output out.safetensors",
		Short: "Run a model on token ids and write the logits (for porting and parity checks)",
		Long: `forward reads an I64 tensor input_ids [batch, seq] and writes an F32 tensor
logits [batch, seq, vocab]. With --recurrent the tokens go through the decode
state one at a time (the recurrence for Mamba, the KV cache for GPT-NeoX);
with --chunk N they go through it N at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runForward(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint folder or hub id ORG/NAME[@REV]")
	f.StringVar(&o.input, "input", "", "safetensors file with an I64 input_ids tensor [batch, seq]")
	f.StringVar(&o.output, "output", "", "safetensors file to write logits [batch, seq, vocab] to")
	f.StringVar(&o.adapter, "adapter", "", "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors) to apply")
	addPrecisionFlag(f, &o.precision, inferPrecisionUsage)
	f.BoolVar(&o.recurrent, "recurrent", false, "feed the tokens one at a time through the decode state")
	f.IntVar(&o.chunk, "chunk", 0, "feed the tokens this many at a time through the decode state")
	for _, name := range []string{"model", "input", "output"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func runForward(cmd *cobra.Command, o forwardOptions) error {
	lm, err := loadAdapted(cmd.Context(), o.model, o.adapter, o.precision, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	tokens, batch, seq, err := readInputIDs(o.input)
	if err != nil {
		return err
	}
	chunk := o.chunk
	if o.recurrent {
		chunk = 1
	}
	logits, err := forwardInChunks(lm, tokens, batch, seq, chunk)
	if err != nil {
		return err
	}
	vocab := lm.VocabSize()
	out := []safetensors.Tensor{safetensors.F32Tensor("logits", []int{batch, seq, vocab}, logits)}
	if err := safetensors.Write(o.output, out, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote logits [%d, %d, %d] to %s\n", batch, seq, vocab, o.output)
	return nil
}

// readInputIDs reads input_ids [batch, seq] as int32 token ids.
func readInputIDs(path string) (tokens []int32, batch, seq int, err error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	ids, shape, err := f.I64("input_ids")
	if err != nil {
		return nil, 0, 0, err
	}
	if len(shape) != 2 || shape[0] == 0 || shape[1] == 0 {
		return nil, 0, 0, fmt.Errorf("%s: input_ids has shape %v, want [batch, seq] with both > 0", path, shape)
	}
	tokens = make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id > 1<<31-1 {
			return nil, 0, 0, fmt.Errorf("%s: input_ids[%d] = %d is not a token id", path, i, id)
		}
		tokens[i] = int32(id)
	}
	return tokens, shape[0], shape[1], nil
}

// forwardInChunks runs the whole input at once (chunk ≤ 0) or in pieces of
// chunk tokens through one decode state, and returns logits (batch, seq, vocab).
func forwardInChunks(lm model.LM, tokens []int32, batch, seq, chunk int) ([]float32, error) {
	if chunk <= 0 || chunk >= seq {
		return lm.Forward(tokens, batch, seq, nil)
	}
	vocab := lm.VocabSize()
	logits := make([]float32, batch*seq*vocab)
	state := lm.NewState(batch)
	piece := make([]int32, batch*chunk)
	for t0 := 0; t0 < seq; t0 += chunk {
		n := min(chunk, seq-t0)
		for b := range batch {
			copy(piece[b*n:(b+1)*n], tokens[b*seq+t0:b*seq+t0+n])
		}
		out, err := lm.Forward(piece[:batch*n], batch, n, state)
		if err != nil {
			return nil, err
		}
		for b := range batch {
			copy(logits[(b*seq+t0)*vocab:(b*seq+t0+n)*vocab], out[b*n*vocab:(b+1)*n*vocab])
		}
	}
	return logits, nil
}

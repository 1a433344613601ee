package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/internal/pickle"
	"github.com/steady-ml/steady/safetensors"
)

// convertOptions are the flags of `steady convert`.
type convertOptions struct {
	input, output string
	dropTied      bool
	maxShardSize  int64
}

func newConvertCmd() *cobra.Command {
	var o convertOptions
	cmd := &cobra.Command{
		Use:   "convert --input pytorch_model.bin --output model.safetensors",
		Short: "Convert a PyTorch checkpoint (pytorch_model.bin) to safetensors, without running its pickle",
		Long: `Convert a torch.save state dict (zip or legacy format, e.g. the pytorch_model.bin of the
original mamba_ssm checkpoints) to safetensors. The pickle is read by a restricted unpickler that
only rebuilds tensors: a file naming any other Python global (os.system, eval, ...) is refused.
Views are made contiguous; tied weights (an embedding shared with the LM head) are written under
every name unless --drop-tied is given.

--output ending in .safetensors writes one file; any other --output is a folder, written as
transformers' save_pretrained does (model.safetensors, or shards and an index past --max-shard-size).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConvert(cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.input, "input", "", "PyTorch checkpoint to read (pytorch_model.bin, *.pt)")
	f.StringVar(&o.output, "output", "", "safetensors file (*.safetensors) or folder to write")
	f.BoolVar(&o.dropTied, "drop-tied", false, "write a tied weight once, under its first name (as safetensors' save_model does)")
	f.Int64Var(&o.maxShardSize, "max-shard-size", 0, "folder output: most bytes per shard (0: the safetensors package default)")
	_ = cmd.MarkFlagRequired("input")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func runConvert(cmd *cobra.Command, o convertOptions) error {
	ck, err := pickle.Open(o.input)
	if err != nil {
		return err
	}
	defer ck.Close()
	loaded := ck.Tensors
	if len(loaded) == 0 {
		return fmt.Errorf("pytorch checkpoint %s: the state dict is empty", o.input)
	}
	tensors := make([]safetensors.Tensor, 0, len(loaded))
	var dropped []string
	var bytes int64
	for _, t := range loaded {
		if t.Tied != "" && o.dropTied {
			dropped = append(dropped, t.Name+" (= "+t.Tied+")")
			continue
		}
		tensors = append(tensors, safetensors.Tensor{Name: t.Name, DType: safetensors.DType(t.DType), Shape: t.Shape, Data: t.Data})
		bytes += int64(len(t.Data))
	}
	// transformers refuses safetensors files whose metadata lacks format=pt.
	meta := map[string]string{"format": "pt"}
	var written []string
	if strings.HasSuffix(o.output, ".safetensors") {
		if err := os.MkdirAll(filepath.Dir(o.output), 0o755); err != nil {
			return err
		}
		if err := safetensors.Write(o.output, tensors, meta); err != nil {
			return err
		}
		written = []string{o.output}
	} else {
		if err := os.MkdirAll(o.output, 0o755); err != nil {
			return err
		}
		names, err := safetensors.WriteSharded(o.output, tensors, safetensors.ShardOptions{MaxShardSize: o.maxShardSize, Metadata: meta})
		if err != nil {
			return err
		}
		for _, n := range names {
			written = append(written, filepath.Join(o.output, n))
		}
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "converted %s: %d tensors, %.1f MB\n", o.input, len(tensors), float64(bytes)/1e6)
	if len(dropped) > 0 {
		fmt.Fprintf(out, "tied weights written once: dropped %s\n", strings.Join(dropped, ", "))
	}
	for _, w := range written {
		fmt.Fprintln(out, "wrote", w)
	}
	return nil
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/peft"
)

func newMergeCmd() *cobra.Command {
	var ref, adapter, output string
	cmd := &cobra.Command{
		Use:   "merge --model M --adapter A --output DIR",
		Short: "Fold a LoRA adapter into its base model and save a plain checkpoint (PEFT merge_and_unload)",
		Long: `merge loads --model in float32, attaches the PEFT LoRA adapter of --adapter,
adds each adapter's update into its module's weight (W += s·B·A; an
embedding's table += s·(B·A)ᵀ, untying a tied LM head first so that only the
input lookup changes, as the unmerged adapter computes) and writes the result
to --output as a Hugging Face checkpoint folder (config.json,
model.safetensors, and the base folder's tokenizer.json when it has one),
which every command and transformers' from_pretrained read without PEFT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ref == "" || adapter == "" || output == "" {
				return fmt.Errorf("merge needs --model, --adapter and --output")
			}
			dir, err := resolveModel(cmd.Context(), ref)
			if err != nil {
				return err
			}
			lm, err := checkpoint.Load(dir)
			if err != nil {
				return err
			}
			m, ok := lm.(peft.Adaptable)
			if !ok {
				return fmt.Errorf("--adapter %s: a %T takes no adapters", adapter, lm)
			}
			e, ok := lm.(model.Exporter)
			if !ok {
				return fmt.Errorf("a %T cannot be saved", lm)
			}
			a, err := peft.Load(adapter, m)
			if err != nil {
				return err
			}
			a.Merge()
			tok, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := checkpoint.Save(output, e, tok); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "merged LoRA r %d, scale %g on %v into %s\n", a.Config.R, a.Config.Scale(), a.Match, output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ref, "model", "", "base checkpoint folder or hub id ORG/NAME[@REV]")
	f.StringVar(&adapter, "adapter", "", "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors)")
	f.StringVar(&output, "output", "", "folder to write the merged checkpoint to")
	return cmd
}

// Command steady fine-tunes and studies state-space (Mamba, Mamba-2) and
// Transformer (GPT-NeoX / Pythia) language models. Run `steady help` for the
// commands.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "steady:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "steady",
		Short:         "Fine-tune and study Mamba, Mamba-2 and GPT-NeoX language models",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// lm-eval and HF users type --num_fewshot as often as --num-fewshot: accept both.
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		return pflag.NormalizedName(strings.ReplaceAll(name, "_", "-"))
	})
	root.AddCommand(
		newPullCmd(),
		newConvertCmd(),
		newInspectCmd(),
		newMergeCmd(),
		newTokenizeCmd(),
		newForwardCmd(),
		newGenerateCmd(),
		newEvalCmd(),
		newBenchCmd(),
		newDemoCmd(),
		newPretrainCmd(),
		newFinetuneCmd(),
	)
	return root
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/hub"
)

// pullOptions are the flags of `steady pull`.
type pullOptions struct {
	include  []string
	cacheDir string
}

func newPullCmd() *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull ORG/NAME[@REVISION]",
		Short: "Download a model from the Hugging Face Hub into the shared HF cache and print its folder",
		Long: `Download a model repository from the Hugging Face Hub into the cache that Python's
huggingface_hub uses (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub), so that
both share the files. Downloads resume after an interruption and are checked against the hub's
checksums. The snapshot folder is printed on stdout; pass it, or ORG/NAME itself, to --model.

By default the configuration, tokenizer and weight files are fetched (safetensors, or
pytorch_model*.bin when the repository has none). --include selects files instead, with
huggingface-cli's fnmatch patterns ('*' also matches '/'); repeat it or separate with commas.

Environment: HF_TOKEN for gated or private repositories, HF_ENDPOINT for a mirror,
HF_HUB_OFFLINE=1 to only look in the cache.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo, revision, err := hub.ParseRef(args[0])
			if err != nil {
				return err
			}
			c := hub.NewClient()
			if o.cacheDir != "" {
				c.CacheDir = o.cacheDir
			}
			dir, err := c.Snapshot(cmd.Context(), repo, revision, o.include)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), dir)
			return err
		},
	}
	cmd.Flags().StringSliceVar(&o.include, "include", nil, "download only files matching these patterns (e.g. '*.json,*.safetensors')")
	cmd.Flags().StringVar(&o.cacheDir, "cache-dir", "", "cache root to use instead of the HF_HUB_CACHE default")
	return cmd
}

package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/peft"
)

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect DIR",
		Short: "Describe a checkpoint or PEFT adapter folder: architecture, layers, parameters, dtypes, tied weights, name layout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := summarize(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(s)
			}
			_, err = fmt.Fprint(out, s)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// summarize describes dir as an adapter when it has adapter_config.json,
// else as a checkpoint.
func summarize(dir string) (fmt.Stringer, error) {
	if fileExists(filepath.Join(dir, peft.ConfigFile)) {
		return peft.Inspect(dir)
	}
	ck, err := checkpoint.Open(dir)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	return ck.Summarize(), nil
}

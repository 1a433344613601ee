package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTrainCommandsRefuseBadFlags checks that the flags pretrain and
// finetune do not support yet fail by name, before any data is read.
func TestTrainCommandsRefuseBadFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"pretrain_bf16", []string{"pretrain", "--train-file", "x.txt", "--output_dir", "out", "--precision", "bf16"}, `precision "bf16" is not available yet`},
		{"pretrain_lora", []string{"pretrain", "--train_file", "x.txt", "--output-dir", "out", "--peft", "lora"}, `peft "lora" is not available yet`},
		{"pretrain_unknown_arch", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--arch", "llama"}, `arch "llama"`},
		{"pretrain_schedule", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--lr_scheduler_type", "step"}, "--lr-scheduler-type"},
		{"pretrain_split", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--split", "words"}, "--split"},
		{"pretrain_no_output", []string{"pretrain", "--train-file", "x.txt"}, "output-dir"},
		{"finetune_no_model", []string{"finetune", "--train-file", "x.json", "--output-dir", "out"}, "model"},
		{"finetune_overflow", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--overflow", "wrap"}, "--overflow"},
		{"finetune_fp16", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--precision", "fp16"}, `precision "fp16" is not available yet`},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := newRootCmd()
			root.SetArgs(c.args)
			var out bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&out)
			err := root.Execute()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

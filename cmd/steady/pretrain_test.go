package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTrainCommandsRefuseBadFlags checks that bad training, precision and
// LoRA flags fail by name, before any model or data is read.
func TestTrainCommandsRefuseBadFlags(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"pretrain_precision_unknown", []string{"pretrain", "--train-file", "x.txt", "--output_dir", "out", "--precision", "bf8"}, `unknown precision "bf8"`},
		{"pretrain_no_peft", []string{"pretrain", "--train_file", "x.txt", "--output-dir", "out", "--peft", "lora"}, "unknown flag: --peft"},
		{"pretrain_unknown_arch", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--arch", "llama"}, `arch "llama"`},
		{"pretrain_schedule", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--lr_scheduler_type", "step"}, "--lr-scheduler-type"},
		{"pretrain_split", []string{"pretrain", "--train-file", "x.txt", "--output-dir", "out", "--split", "words"}, "--split"},
		{"pretrain_no_output", []string{"pretrain", "--train-file", "x.txt"}, "output-dir"},
		{"finetune_no_model", []string{"finetune", "--train-file", "x.json", "--output-dir", "out"}, "model"},
		{"finetune_overflow", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--overflow", "wrap"}, "--overflow"},
		{"finetune_peft_unknown", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--peft", "qlora"}, `peft "qlora"`},
		{"finetune_lora_flag_without_peft", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--lora-r", "4"}, "--lora-r configures a LoRA adapter: it needs --peft lora"},
		{"finetune_lora_rank_zero", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--peft", "lora", "--lora-r", "0"}, "LoRA rank r = 0"},
		{"finetune_lora_dropout", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--peft", "lora", "--lora_dropout", "1.5"}, "lora_dropout = 1.5"},
		{"finetune_lora_preset_mixed", []string{"finetune", "--model", "m", "--train-file", "x.json", "--output-dir", "out", "--peft", "lora", "--targets", "lora-all,x_proj"}, "cannot be combined"},
		{"forward_precision_unknown", []string{"forward", "--model", "m", "--input", "i", "--output", "o", "--precision", "int8"}, `unknown precision "int8"`},
		{"generate_precision_unknown", []string{"generate", "--model", "m", "--prompt", "hi", "--precision", "fp64"}, `unknown precision "fp64"`},
		{"eval_precision_unknown", []string{"eval", "--model", "m", "--tasks", "arc_easy", "--precision", "tf32"}, `unknown precision "tf32"`},
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

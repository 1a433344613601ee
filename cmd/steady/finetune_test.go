package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/model/neox"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/safetensors"
	"github.com/steady-ml/steady/tokenizer"
)

// execute runs the CLI with args and returns its stdout and stderr.
func execute(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	root := newRootCmd()
	root.SetArgs(args)
	var out, log bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&log)
	if err := root.Execute(); err != nil {
		t.Fatalf("steady %s: %v\n%s", strings.Join(args, " "), err, log.String())
	}
	return out.String(), log.String()
}

// TestFinetuneLoRACLI fine-tunes a LoRA adapter in bf16 on a tiny
// GPT-NeoX for two steps with `steady finetune --peft lora`, checks that
// the output is a PEFT adapter folder, and decodes through it with
// `steady generate --adapter --precision bf16`.
func TestFinetuneLoRACLI(t *testing.T) {
	cfg, err := neox.ParseConfig([]byte(`{"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 32, "num_hidden_layers": 1,
		"num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := neox.Init(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	if err := checkpoint.Save(base, m, tokenizer.DefaultJSON()); err != nil {
		t.Fatal(err)
	}
	var records strings.Builder
	for i := range 8 {
		fmt.Fprintf(&records, `{"instruction": "Count to %d.", "input": "", "output": "%s"}`+"\n", i+1, strings.Repeat("one ", i+1))
	}
	data := filepath.Join(dir, "data.jsonl")
	if err := os.WriteFile(data, []byte(records.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	stdout, stderr := execute(t, "finetune", "--model", base, "--train-file", data, "--output-dir", out,
		"--peft", "lora", "--targets", "query_key_value,dense", "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1",
		"--use-rslora", "--precision", "bf16", "--max-steps", "2", "--per-device-train-batch-size", "4",
		"--max-seq-length", "48", "--learning-rate", "1e-2", "--logging-steps", "1")
	adapter := filepath.Join(out, "checkpoint-2")
	if !strings.Contains(stdout, "adapter: "+adapter) || !strings.Contains(stderr, "LoRA r 4, scale 4 on 2 modules") {
		t.Errorf("stdout %q, stderr %q: want the adapter folder and the LoRA report", stdout, stderr)
	}
	c, err := peft.ReadConfig(adapter)
	if err != nil {
		t.Fatal(err)
	}
	if c.R != 4 || c.Alpha != 8 || c.Dropout != 0.1 || !c.UseRSLoRA || c.BaseModel != base || c.Targets() != "query_key_value, dense" {
		t.Errorf("adapter config %+v", c)
	}
	stdout, stderr = execute(t, "generate", "--model", base, "--adapter", adapter, "--precision", "bf16",
		"--prompt-ids", "5,9,2", "--print-ids", "--max-new-tokens", "3")
	if !strings.Contains(stderr, "adapter ") || len(strings.Fields(stdout)) != 3 {
		t.Errorf("stdout %q, stderr %q: want 3 ids and an adapter report", stdout, stderr)
	}
}

// TestForwardPrecision runs `steady forward --precision` on the GPT-NeoX
// fixture and compares the logits with PyTorch's in the same mode: fp32
// with forward.safetensors, bf16 with the torch.autocast run of
// autocast_bf16.safetensors. The bf16 tolerance, 1e-3, is far below the
// 3.6e-2 by which the fp32 logits differ from the bf16 ones, so a forward
// that ignored --precision fails.
func TestForwardPrecision(t *testing.T) {
	cases := []struct {
		precision, file string
		atol            float64
	}{
		{"fp32", "forward.safetensors", 1e-4},
		{"bf16", "autocast_bf16.safetensors", 1e-3},
	}
	for _, c := range cases {
		t.Run(c.precision, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "logits.safetensors")
			execute(t, "forward", "--model", fixture.Path(t, "gpt_neox"), "--precision", c.precision,
				"--input", fixture.Path(t, "gpt_neox", "inputs.safetensors"), "--output", out)
			f, err := safetensors.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := fixture.F32(t, f, "logits")
			want := fixture.F32(t, fixture.Open(t, "gpt_neox", c.file), "logits")
			t.Logf("%s logits vs PyTorch: %v", c.precision, fixture.Compare(got, want, c.atol, 0))
			fixture.RequireClose(t, c.precision+" logits", got, want, c.atol, 0)
		})
	}
}

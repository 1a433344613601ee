package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/safetensors"
)

// TestForwardAdapter runs `steady forward --adapter` on the PEFT LoRA
// fixtures, in one pass and through the decode state, and checks PEFT's
// adapted logits.
func TestForwardAdapter(t *testing.T) {
	cases := []struct {
		name    string
		base    []string
		adapter string
		extra   []string
	}{
		{"mamba1", []string{"mamba1", "hf"}, "mamba1", nil},
		{"mamba1_recurrent", []string{"mamba1", "hf"}, "mamba1", []string{"--recurrent"}},
		{"gpt_neox_rslora", []string{"gpt_neox"}, "gpt_neox_rslora", nil},
		{"gpt_neox_chunk5", []string{"gpt_neox"}, "gpt_neox", []string{"--chunk", "5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "logits.safetensors")
			args := append([]string{"forward", "--model", fixture.Path(t, c.base...),
				"--adapter", fixture.Path(t, "lora", c.adapter),
				"--input", fixture.Path(t, c.base[0], "inputs.safetensors"), "--output", out}, c.extra...)
			root := newRootCmd()
			root.SetArgs(args)
			var log bytes.Buffer
			root.SetOut(&log)
			root.SetErr(&log)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "adapter ") {
				t.Errorf("no adapter report in %q", log.String())
			}
			f, err := safetensors.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := fixture.F32(t, fixture.Open(t, "lora", c.adapter, "logits.safetensors"), "logits_adapter")
			fixture.RequireClose(t, "logits", fixture.F32(t, f, "logits"), want, 1e-4, 0)
		})
	}
}

// TestGenerateAdapter checks that `steady generate --adapter` attaches the
// adapter, reports it and decodes; decoding through the adapter is checked
// against PEFT's logits by TestForwardAdapter's --recurrent and --chunk cases.
func TestGenerateAdapter(t *testing.T) {
	root := newRootCmd()
	root.SetArgs([]string{"generate", "--model", fixture.Path(t, "gpt_neox"), "--adapter", fixture.Path(t, "lora", "gpt_neox"),
		"--prompt-ids", "5,9,2", "--print-ids", "--max-new-tokens", "3"})
	var out, log bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&log)
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "adapter ") || len(strings.Fields(out.String())) != 3 {
		t.Errorf("stdout %q, stderr %q: want 3 ids and an adapter report", out.String(), log.String())
	}
}

// TestEvalAdapter checks that `steady eval --adapter` attaches and reports
// the adapter and scores through it (the adapted logits themselves are
// checked against PEFT's by TestForwardAdapter).
func TestEvalAdapter(t *testing.T) {
	run := func(adapter ...string) string {
		root := newRootCmd()
		args := []string{"eval", "--model", fixture.Path(t, "gpt_neox"), "--tokenizer", "../../eval/testdata/byte_tokenizer.json",
			"--data-dir", fixture.DataPath(t), "--tasks", "arc_easy", "--limit", "4", "--log-samples", "--output-path", t.TempDir()}
		root.SetArgs(append(args, adapter...))
		var out, log bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&log)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if len(adapter) > 0 && !strings.Contains(log.String(), "adapter ") {
			t.Errorf("stderr %q: want an adapter report", log.String())
		}
		return out.String()
	}
	if out := run("--adapter", fixture.Path(t, "lora", "gpt_neox")); !strings.Contains(out, "arc_easy 0-shot: 4 docs") {
		t.Errorf("stdout %q: want the arc_easy summary", out)
	}
}

// TestMergeAdapter runs `steady merge` on the PEFT LoRA fixtures and checks
// that the merged checkpoint, loaded as a plain model, gives PEFT's adapted
// logits, and (GPT-NeoX, whose weights PEFT's merge_and_unload stored) the
// merged weights PEFT wrote.
func TestMergeAdapter(t *testing.T) {
	cases := []struct {
		name    string
		base    []string
		adapter string
		weights bool
	}{
		{"mamba1_with_embedding", []string{"mamba1", "hf"}, "mamba1", false},
		{"gpt_neox", []string{"gpt_neox"}, "gpt_neox", true},
		{"gpt_neox_rslora", []string{"gpt_neox"}, "gpt_neox_rslora", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			merged := filepath.Join(t.TempDir(), "merged")
			root := newRootCmd()
			root.SetArgs([]string{"merge", "--model", fixture.Path(t, c.base...), "--adapter", fixture.Path(t, "lora", c.adapter), "--output", merged})
			var log bytes.Buffer
			root.SetOut(&log)
			root.SetErr(&log)
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "merged LoRA") {
				t.Errorf("output %q: want a merge report", log.String())
			}
			lm, err := checkpoint.Load(merged)
			if err != nil {
				t.Fatal(err)
			}
			tokens, batch, seq := fixture.Tokens(t, c.base[0])
			logits, err := lm.Forward(tokens, batch, seq, nil)
			if err != nil {
				t.Fatal(err)
			}
			ref := fixture.Open(t, "lora", c.adapter, "logits.safetensors")
			fixture.RequireClose(t, "logits", logits, fixture.F32(t, ref, "logits_adapter"), 1e-4, 0)
			if !c.weights {
				return
			}
			want := fixture.Open(t, "lora", c.adapter, "merged_model.safetensors")
			for _, p := range lm.(model.Exporter).Params() {
				fixture.RequireClose(t, p.Name, p.Data, fixture.F32(t, want, p.Name), 1e-6, 0)
			}
		})
	}
}

package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/internal/progress"
	"github.com/steady-ml/steady/model/neox"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/tokenizer"
	"github.com/steady-ml/steady/train"
)

// quiet returns trainer options that log and draw nothing.
func quiet(t *testing.T, out string) train.Options {
	noTerminal := false
	return train.Options{
		OutputDir: out, Seed: 1,
		Progress: progress.Options{Out: io.Discard, Terminal: &noTerminal},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// storiesSlice writes the first n bytes of tiny_stories.txt, cut at a line
// end, into a temporary file.
func storiesSlice(t *testing.T, n int) string {
	data, err := os.ReadFile(fixture.DataPath(t, "tinystories", "tiny_stories.txt"))
	if err != nil {
		t.Fatal(err)
	}
	data = data[:strings.LastIndexByte(string(data[:n]), '\n')+1]
	path := filepath.Join(t.TempDir(), "stories.txt")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPretrainTinyStories pretrains the tiny GPT-NeoX for 20 steps of 4
// sequences of 64 tokens, checks that the loss drops and that the last
// checkpoint is a model folder, then resumes a second run from step 10 and
// checks that it ends with the same weights, bit for bit.
func TestPretrainTinyStories(t *testing.T) {
	stories := storiesSlice(t, 40_000)
	opts := func(out, resume string) PretrainOptions {
		o := PretrainOptions{Arch: "gpt_neox", Size: "tiny", Split: dataset.SplitStories}
		o.TrainFiles, o.MaxSeqLen = []string{stories}, 64
		o.Train = quiet(t, out)
		o.Train.MaxSteps, o.Train.BatchSize, o.Train.LR, o.Train.Warmup = 20, 4, 3e-3, 3
		o.Train.WeightDecay, o.Train.MaxGradNorm, o.Train.LogEvery, o.Train.SaveEvery = 0.01, 1, 5, 10
		o.Train.ResumeFrom = resume
		return o
	}
	full := t.TempDir()
	res, err := Pretrain(context.Background(), opts(full, ""))
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for _, e := range res.State.LogHistory {
		losses = append(losses, float64(e["loss"]))
	}
	t.Logf("%d parameters, %d sequences; logged losses %.3f", res.Params, res.Examples, losses)
	if first, last := losses[0], losses[len(losses)-1]; !(last < first-0.5) {
		t.Errorf("loss %.3f at the first log, %.3f at the last: want a drop of more than 0.5", first, last)
	}

	if want := train.CheckpointDir(full, 20); res.Checkpoint != want {
		t.Errorf("checkpoint %s, want %s", res.Checkpoint, want)
	}
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer.json", train.StateFile} {
		if _, err := os.Stat(filepath.Join(res.Checkpoint, name)); err != nil {
			t.Error(err)
		}
	}
	lm, err := checkpoint.Load(res.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lm.(*neox.Model); !ok || lm.VocabSize() != 50304 {
		t.Errorf("checkpoint loads as %T with vocabulary %d, want a GPT-NeoX of 50304", lm, lm.VocabSize())
	}

	resumed := t.TempDir()
	if _, err := Pretrain(context.Background(), opts(resumed, train.CheckpointDir(full, 10))); err != nil {
		t.Fatal(err)
	}
	requireSameWeights(t, res.Checkpoint, train.CheckpointDir(resumed, 20))
}

// requireSameWeights fails unless every tensor of the two checkpoints is
// bit for bit the same.
func requireSameWeights(t *testing.T, dirA, dirB string) {
	t.Helper()
	a, err := checkpoint.Open(dirA)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := checkpoint.Open(dirB)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, name := range a.Names() {
		x, _, err := a.F32(name)
		if err != nil {
			t.Fatal(err)
		}
		y, _, err := b.F32(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				t.Errorf("%s[%d]: %.9g uninterrupted, %.9g resumed", name, i, x[i], y[i])
				break
			}
		}
	}
}

// TestFinetuneAlpaca fine-tunes a freshly initialised tiny GPT-NeoX on 8
// Alpaca records and on 8 prompt/response records for two steps each.
// TestPretrainMambas pretrains the tiny Mamba and Mamba-2 for 10 steps and
// checks that the loss drops and the last checkpoint loads as that architecture.
func TestPretrainMambas(t *testing.T) {
	stories := storiesSlice(t, 20_000)
	for _, arch := range []checkpoint.Arch{checkpoint.Mamba, checkpoint.Mamba2} {
		t.Run(string(arch), func(t *testing.T) {
			o := PretrainOptions{Arch: string(arch), Size: "tiny", Split: dataset.SplitStories}
			o.TrainFiles, o.MaxSeqLen = []string{stories}, 64
			o.Train = quiet(t, t.TempDir())
			o.Train.MaxSteps, o.Train.BatchSize, o.Train.LR, o.Train.Warmup = 10, 4, 3e-3, 2
			o.Train.MaxGradNorm, o.Train.LogEvery = 1, 5
			res, err := Pretrain(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			h := res.State.LogHistory
			first, last := float64(h[0]["loss"]), float64(h[len(h)-1]["loss"])
			t.Logf("%d parameters; loss %.3f → %.3f", res.Params, first, last)
			if !(last < first-0.3) {
				t.Errorf("loss %.3f at the first log, %.3f at the last: want a drop of more than 0.3", first, last)
			}
			ck, err := checkpoint.Open(res.Checkpoint)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			if ck.Arch != arch {
				t.Errorf("checkpoint architecture %s, want %s", ck.Arch, arch)
			}
			if _, err := ck.Model(); err != nil {
				t.Errorf("the checkpoint does not load: %v", err)
			}
		})
	}
}

func TestFinetuneAlpaca(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	cfg, err := neox.ParseConfig([]byte(presets["gpt_neox"]["tiny"]))
	if err != nil {
		t.Fatal(err)
	}
	m, err := neox.Init(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Save(base, m, tokenizer.DefaultJSON()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		file []string
	}{
		{"alpaca_json", []string{"alpaca", "alpaca_5000.json"}},
		{"prompt_response_jsonl", []string{"dolly_hhrlhf", "dolly_hhrlhf_train_small.jsonl"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := FinetuneOptions{Model: base, ResponseOnly: true}
			o.TrainFiles, o.MaxSeqLen = []string{firstRecords(t, fixture.DataPath(t, c.file...), 8)}, 96
			o.Train = quiet(t, t.TempDir())
			o.Train.MaxSteps, o.Train.BatchSize, o.Train.LR, o.Train.LogEvery = 2, 4, 1e-3, 1
			res, err := Finetune(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.State.LogHistory {
				if l := float64(e["loss"]); !(l > 0) || math.IsInf(l, 0) {
					t.Errorf("step %v: loss %v", e["step"], l)
				}
			}
			if _, err := checkpoint.Load(res.Checkpoint); err != nil {
				t.Error(err)
			}
		})
	}
}

// firstRecords writes the first n records of a JSON array or JSONL file
// into a temporary JSONL file.
func firstRecords(t *testing.T, path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var records []json.RawMessage
	if strings.HasSuffix(path, ".json") {
		if err := json.Unmarshal(data, &records); err != nil {
			t.Fatal(err)
		}
	} else {
		for _, line := range strings.SplitN(string(data), "\n", n+1)[:n] {
			records = append(records, json.RawMessage(line))
		}
	}
	var b strings.Builder
	for _, r := range records[:n] {
		b.Write(r)
		b.WriteByte('\n')
	}
	out := filepath.Join(t.TempDir(), "records.jsonl")
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunsRefuseBadSettings checks that bad precision, PEFT and LoRA
// settings, and LoRA on pretraining, fail by name before any data is read.
func TestRunsRefuseBadSettings(t *testing.T) {
	stories := filepath.Join(t.TempDir(), "s.txt")
	lora := func(o *PretrainOptions) {
		o.PEFT, o.LoRA = PEFTLoRA, peft.Settings{Targets: []string{"lora-all"}, R: 8, Alpha: 16}
	}
	for _, c := range []struct {
		name, want string
		edit       func(*PretrainOptions)
	}{
		{"precision_unknown", "unknown precision", func(o *PretrainOptions) { o.Precision = train.Precision(9) }},
		{"peft_unknown", `peft "qlora": want none (full-parameter training) or lora`, func(o *PretrainOptions) { o.PEFT = "qlora" }},
		{"peft_lora_on_pretrain", `peft "lora": a fresh model has nothing to adapt`, lora},
		{"lora_rank_zero", "peft lora: LoRA rank r = 0", func(o *PretrainOptions) { lora(o); o.LoRA.R = 0 }},
		{"lora_no_targets", "peft lora: no LoRA target modules", func(o *PretrainOptions) { lora(o); o.LoRA.Targets = nil }},
		{"lora_dropout", "peft lora: lora_dropout = 1", func(o *PretrainOptions) { lora(o); o.LoRA.Dropout = 1 }},
		{"arch_unknown", `arch "llama"`, func(o *PretrainOptions) { o.Arch = "llama" }},
		{"size_unknown", `size "huge": gpt_neox has sizes small, tiny`, func(o *PretrainOptions) { o.Size = "huge" }},
		{"no_files", "no training files", func(o *PretrainOptions) { o.TrainFiles = nil }},
		{"missing_file", "s.txt", func(*PretrainOptions) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := PretrainOptions{Arch: "gpt_neox", Size: "tiny"}
			o.TrainFiles, o.Precision, o.PEFT = []string{stories}, train.FP32, PEFTNone
			o.Train = quiet(t, t.TempDir())
			c.edit(&o)
			_, err := Pretrain(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestPresetsParse(t *testing.T) {
	for arch, sizes := range presets {
		for size := range sizes {
			t.Run(string(arch)+"_"+size, func(t *testing.T) {
				lm, err := newPretrainModel(string(arch), size, 0)
				if err != nil {
					t.Fatal(err)
				}
				m, err := NewModel(lm)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, p := range m.Params() {
					n += len(p.Data)
				}
				t.Logf("%d parameters", n)
			})
		}
	}
}

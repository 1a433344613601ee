package peft

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/kernel"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/safetensors"
)

// adaptableLM is what these tests need of a base model.
type adaptableLM interface {
	model.LM
	model.Exporter
	Adaptable
}

// loraFixtures are the PEFT v0.11.1 adapters of shared/fixtures/lora with
// their base model folders and the fixture folder whose inputs they ran on.
var loraFixtures = []struct {
	dir, base, inputs string
	tiedHead          bool // base ties lm_head to the embedding (see Merge)
}{
	{"mamba1", "mamba1/hf", "mamba1", true},
	{"gpt_neox", "gpt_neox", "gpt_neox", false},
	{"gpt_neox_rslora", "gpt_neox", "gpt_neox", false},
}

func loadBase(t *testing.T, elem ...string) adaptableLM {
	t.Helper()
	lm, err := checkpoint.Load(fixture.Path(t, elem...))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := lm.(adaptableLM)
	if !ok {
		t.Fatalf("%T does not expose Modules/Params", lm)
	}
	return m
}

func forward(t *testing.T, m model.LM, folder string) []float32 {
	t.Helper()
	tokens, batch, seq := fixture.Tokens(t, folder)
	logits, err := m.Forward(tokens, batch, seq, nil)
	if err != nil {
		t.Fatal(err)
	}
	return logits
}

// TestLoadFixtures loads each PEFT adapter onto its base model and checks
// the adapted logits, the merged weights and the merged model's logits
// against PEFT's.
func TestLoadFixtures(t *testing.T) {
	for _, c := range loraFixtures {
		t.Run(c.dir, func(t *testing.T) {
			m := loadBase(t, strings.Split(c.base, "/")...)
			logits := fixture.Open(t, "lora", c.dir, "logits.safetensors")
			fixture.RequireClose(t, "base logits", forward(t, m, c.inputs), fixture.F32(t, logits, "logits_base"), 1e-4, 0)
			a, err := Load(fixture.Path(t, "lora", c.dir), m)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("matched %v", a.Match)
			want := fixture.F32(t, logits, "logits_adapter")
			adapted := forward(t, m, c.inputs)
			t.Logf("adapter logits: %v", fixture.Compare(adapted, want, 1e-4, 0))
			fixture.RequireClose(t, "adapter logits", adapted, want, 1e-4, 0)

			base := map[string][]float32{}
			for _, p := range m.Params() {
				base[p.Name] = slices.Clone(p.Data)
			}
			a.Merge()
			merged := fixture.Open(t, "lora", c.dir, "merged_model.safetensors")
			for _, p := range m.Params() {
				ref := fixture.F32(t, merged, p.Name)
				if c.tiedHead && p.Name == "lm_head.weight" {
					// PEFT merged into the parameter lm_head shares with the
					// embedding; ours is untied, so PEFT's head is our embedding.
					fixture.RequireClose(t, "PEFT's merged lm_head vs merged embedding", fixture.F32(t, merged, p.Name), paramData(t, m, "backbone.embeddings.weight"), 0, 0)
					continue
				}
				t.Logf("merged %s: %v", p.Name, fixture.Compare(p.Data, ref, 1e-5, 0))
				fixture.RequireClose(t, "merged "+p.Name, p.Data, ref, 1e-5, 0)
			}
			if c.tiedHead {
				// PEFT merges into the shared parameter; the Go merge unties
				// and keeps lm_head at the base embedding.
				head := paramData(t, m, "lm_head.weight")
				fixture.RequireClose(t, "untied lm_head vs base embedding", head, base["backbone.embeddings.weight"], 0, 0)
			}
			mergedLogits := forward(t, m, c.inputs)
			t.Logf("merged vs adapter logits: %v", fixture.Compare(mergedLogits, want, 1e-4, 0))
			fixture.RequireClose(t, "merged logits vs adapter", mergedLogits, want, 1e-4, 0)
		})
	}
}

func paramData(t *testing.T, m model.Exporter, name string) []float32 {
	t.Helper()
	for _, p := range m.Params() {
		if p.Name == name {
			return p.Data
		}
	}
	t.Fatalf("no parameter %s", name)
	return nil
}

// TestSaveReload writes each fixture adapter back, checks the files reload
// bit-identical, then exports the merged model as a plain checkpoint whose
// logits equal the adapted model's.
func TestSaveReload(t *testing.T) {
	for _, c := range loraFixtures {
		t.Run(c.dir, func(t *testing.T) {
			m := loadBase(t, strings.Split(c.base, "/")...)
			a, err := Load(fixture.Path(t, "lora", c.dir), m)
			if err != nil {
				t.Fatal(err)
			}
			adapted := forward(t, m, c.inputs)
			dir := t.TempDir()
			if err := Save(filepath.Join(dir, "adapter"), a); err != nil {
				t.Fatal(err)
			}
			orig := fixture.Open(t, "lora", c.dir, WeightsFile)
			saved, err := safetensors.Open(filepath.Join(dir, "adapter", WeightsFile))
			if err != nil {
				t.Fatal(err)
			}
			defer saved.Close()
			if got, want := sorted(saved.Names()), sorted(orig.Names()); !slices.Equal(got, want) {
				t.Fatalf("saved tensors %v, want %v", got, want)
			}
			for _, n := range orig.Names() {
				g, _, _ := saved.F32(n)
				fixture.RequireClose(t, "saved "+n, g, fixture.F32(t, orig, n), 0, 0)
			}
			again := loadBase(t, strings.Split(c.base, "/")...)
			b, err := Load(filepath.Join(dir, "adapter"), again)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := b.Config, a.Config; !slices.Equal(got.TargetModules, want.TargetModules) || got.R != want.R ||
				got.Alpha != want.Alpha || got.UseRSLoRA != want.UseRSLoRA || got.BaseModel != want.BaseModel || got.BaseModelClass != want.BaseModelClass {
				t.Errorf("reloaded config %+v, want %+v", got, want)
			}
			fixture.RequireClose(t, "reloaded adapter logits", forward(t, again, c.inputs), adapted, 0, 0)

			b.Merge()
			if err := checkpoint.Save(filepath.Join(dir, "merged"), again, nil); err != nil {
				t.Fatal(err)
			}
			plain, err := checkpoint.Load(filepath.Join(dir, "merged"))
			if err != nil {
				t.Fatal(err)
			}
			fixture.RequireClose(t, "exported merged logits vs adapter", forward(t, plain, c.inputs), adapted, 1e-4, 0)
		})
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

// TestNewIsIdentity checks that a freshly initialised adapter (PEFT's init:
// B = 0 for Linear, A = 0 for Embedding) leaves the logits unchanged, that
// the init is seeded, and that the draws have PEFT's ranges.
func TestNewIsIdentity(t *testing.T) {
	cases := []struct {
		name, arch, preset string
		base               []string
	}{
		{"mamba1_lora_all", "mamba", "lora-all", []string{"mamba1", "hf"}},
		{"neox_lora_all", "gpt_neox", "lora-all", []string{"gpt_neox"}},
		{"mamba2_lora_all", "mamba2", "lora-all", []string{"mamba2", "hf"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := loadBase(t, c.base...)
			folder := c.base[0]
			base := forward(t, m, folder)
			targets, err := Preset(c.arch, c.preset)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{PeftType: "LORA", R: 8, Alpha: 16, TargetModules: targets}
			a, err := New(cfg, m, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Match.Unmatched) > 0 {
				t.Errorf("unmatched targets %v", a.Match.Unmatched)
			}
			fixture.RequireClose(t, "fresh adapter logits vs base", forward(t, m, folder), base, 0, 0)
			for _, l := range a.Layers {
				av, bv := l.values()
				if l.Linear != nil {
					bound := float32(1 / math.Sqrt(float64(l.Linear.In)))
					if slices.Max(av) > bound || slices.Min(av) < -bound || slices.Max(av) == 0 || slices.ContainsFunc(bv, nonzero) {
						t.Errorf("%s: A outside U(±%g) or B not zero", l.Module, bound)
					}
				} else if slices.ContainsFunc(av, nonzero) || !slices.ContainsFunc(bv, nonzero) {
					t.Errorf("%s: embedding A not zero or B zero", l.Module)
				}
			}
			a.Detach()
			b, err := New(cfg, m, 1)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range a.Params() {
				if q := b.Params()[i]; q.Name != p.Name || !slices.Equal(q.Data, p.Data) {
					t.Fatalf("same seed, different %s", p.Name)
				}
			}
		})
	}
}

func nonzero(v float32) bool { return v != 0 }

// TestLoadErrors checks that Load names the tensor or module at fault and
// attaches nothing.
func TestLoadErrors(t *testing.T) {
	src := fixture.Path(t, "lora", "gpt_neox")
	rawCfg, err := os.ReadFile(filepath.Join(src, ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	orig := fixture.Open(t, "lora", "gpt_neox", WeightsFile)
	tensors := func(drop, reshape string) []safetensors.Tensor {
		var ts []safetensors.Tensor
		for _, n := range orig.Names() {
			v, shape, _ := orig.F32(n)
			switch n {
			case drop:
				continue
			case reshape:
				shape = []int{shape[1], shape[0]}
			}
			ts = append(ts, safetensors.F32Tensor(n, shape, v))
		}
		return ts
	}
	qkvA := "base_model.model.gpt_neox.layers.0.attention.query_key_value.lora_A.weight"
	cases := []struct {
		name    string
		config  string
		tensors []safetensors.Tensor
		want    string
	}{
		{"missing_tensor", string(rawCfg), tensors(qkvA, ""), "missing tensor " + qkvA},
		{"wrong_shape", string(rawCfg), tensors("", qkvA), "tensor " + qkvA + " has shape [64 4], want [4 64]"},
		{"extra_tensor", strings.Replace(string(rawCfg), `"query_key_value",`, "", 1), tensors("", ""), "belongs to no module"},
		{"target_is_norm", strings.Replace(string(rawCfg), `"dense",`, `"input_layernorm",`, 1), tensors("", ""), "a Norm"},
		{"rank_too_big", strings.Replace(string(rawCfg), `"r": 4`, `"r": 65`, 1), tensors("", ""), "exceeds min(in, out)"},
		{"other_arch", strings.Replace(string(rawCfg), "GPTNeoXForCausalLM", "MambaForCausalLM", 1), tensors("", ""), "but the model is a GPTNeoXForCausalLM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ConfigFile), []byte(c.config), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := safetensors.Write(filepath.Join(dir, WeightsFile), c.tensors, nil); err != nil {
				t.Fatal(err)
			}
			m := loadBase(t, "gpt_neox")
			_, err := Load(dir, m)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			for name, mod := range m.Modules() {
				if mod.Linear != nil && mod.Linear.LoRA != nil {
					t.Errorf("%s has a LoRA after a failed Load", name)
				}
			}
		})
	}
}

// TestMergeExportTrainedAdapter stands in for a trained adapter (every A
// and B drawn non-zero) on each architecture, including LoRAs on a tied
// embedding and LM head, and checks that the adapter changes the logits,
// that Save/Load round-trips it exactly, and that the merged model, and
// the plain checkpoint exported from it, compute the adapted logits.
func TestMergeExportTrainedAdapter(t *testing.T) {
	cases := []struct {
		name    string
		base    []string
		targets []string
	}{
		{"mamba1_tied_embedding_and_head", []string{"mamba1", "hf"}, []string{"x_proj", "in_proj", "out_proj", "embeddings", "lm_head"}},
		{"mamba2_tied_embedding", []string{"mamba2", "hf"}, []string{"in_proj", "out_proj", "embeddings"}},
		{"neox_embed_in_and_out", []string{"gpt_neox"}, []string{"query_key_value", "embed_in", "embed_out"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := loadBase(t, c.base...)
			folder := c.base[0]
			base := forward(t, m, folder)
			a, err := New(Config{PeftType: "LORA", R: 2, Alpha: 3, UseRSLoRA: true, TargetModules: c.targets}, m, 7)
			if err != nil {
				t.Fatal(err)
			}
			rng := randinit.New(9, 0)
			for _, p := range a.Params() {
				copy(p.Data, randinit.Normal(rng, len(p.Data), 0.1))
			}
			adapted := forward(t, m, folder)
			if d := fixture.Compare(adapted, base, 1e-3, 0); d.FirstBad < 0 {
				t.Fatalf("the adapter does not change the logits (%v)", d)
			}
			dir := t.TempDir()
			if err := Save(filepath.Join(dir, "adapter"), a); err != nil {
				t.Fatal(err)
			}
			again := loadBase(t, c.base...)
			if _, err := Load(filepath.Join(dir, "adapter"), again); err != nil {
				t.Fatal(err)
			}
			fixture.RequireClose(t, "reloaded adapter logits", forward(t, again, folder), adapted, 0, 0)
			a.Merge()
			fixture.RequireClose(t, "merged logits", forward(t, m, folder), adapted, 1e-4, 0)
			if err := checkpoint.Save(filepath.Join(dir, "merged"), m, nil); err != nil {
				t.Fatal(err)
			}
			plain, err := checkpoint.Load(filepath.Join(dir, "merged"))
			if err != nil {
				t.Fatal(err)
			}
			fixture.RequireClose(t, "exported merged logits", forward(t, plain, folder), adapted, 1e-4, 0)
		})
	}
}

// trainer is the gradient API every model package offers.
type trainer interface {
	NewGrads() []model.Param
	LossAndGrad(tokens []int32, batch, seq int, grads []model.Param) (float64, error)
}

// TestTrainingThroughAdapter checks the models' training forward and
// backward with an adapter attached: the loss equals PEFT's (grads.safetensors
// "loss"), and the base-weight gradients equal those of the merged model,
// since W enters x·(W + s·B·A)ᵀ as it enters x·Wᵀ (this holds only if
// Linear.Backward carries dx through the adapter).
func TestTrainingThroughAdapter(t *testing.T) {
	for _, c := range loraFixtures {
		t.Run(c.dir, func(t *testing.T) {
			tokens, batch, seq := fixture.Tokens(t, c.inputs)
			ref := fixture.Open(t, "lora", c.dir, "grads.safetensors")
			wantLoss := fixture.F32(t, ref, "loss")[0]
			run := func(merge bool) (float64, map[string][]float32) {
				m := loadBase(t, strings.Split(c.base, "/")...)
				a, err := Load(fixture.Path(t, "lora", c.dir), m)
				if err != nil {
					t.Fatal(err)
				}
				if merge {
					a.Merge()
				}
				tr := m.(trainer)
				grads := tr.NewGrads()
				loss, err := tr.LossAndGrad(tokens, batch, seq, grads)
				if err != nil {
					t.Fatal(err)
				}
				byName := map[string][]float32{}
				for _, g := range grads {
					byName[g.Name] = g.Data
				}
				return loss, byName
			}
			loss, adapted := run(false)
			mergedLoss, merged := run(true)
			t.Logf("loss adapted %.7f, merged %.7f, PEFT %.7f", loss, mergedLoss, wantLoss)
			if math.Abs(loss-float64(wantLoss)) > 1e-5 || math.Abs(mergedLoss-float64(wantLoss)) > 1e-5 {
				t.Errorf("loss adapted %.7f, merged %.7f, PEFT %.7f", loss, mergedLoss, wantLoss)
			}
			for name, g := range adapted {
				if c.tiedHead && name == "backbone.embeddings.weight" {
					continue // tied: embedding plus head gradient; the merged model is untied
				}
				scale := 0.0
				for _, v := range merged[name] {
					scale = max(scale, math.Abs(float64(v)))
				}
				fixture.RequireClose(t, "base gradient "+name, g, merged[name], 1e-4*scale, 0)
			}
		})
	}
}

// TestAdapterGradientsFromBase checks PEFT's LoRA gradients
// (grads.safetensors) through the base-weight gradients of the adapted
// model: W enters as W + s·B·A, so dA = s·Bᵀ·dW and dB = s·dW·Aᵀ; the
// embedding enters as E + s·Aᵀ·Bᵀ, so dA = s·Bᵀ·dEᵀ and dB = s·dEᵀ·Aᵀ. The
// model is untied first so dE is the input lookup's gradient alone.
func TestAdapterGradientsFromBase(t *testing.T) {
	for _, c := range loraFixtures {
		t.Run(c.dir, func(t *testing.T) {
			tokens, batch, seq := fixture.Tokens(t, c.inputs)
			ref := fixture.Open(t, "lora", c.dir, "grads.safetensors")
			m := loadBase(t, strings.Split(c.base, "/")...)
			a, err := Load(fixture.Path(t, "lora", c.dir), m)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range a.Layers {
				if l.handle.Untie != nil {
					l.handle.Untie()
				}
			}
			tr := m.(trainer)
			grads := tr.NewGrads()
			if _, err := tr.LossAndGrad(tokens, batch, seq, grads); err != nil {
				t.Fatal(err)
			}
			base := map[string][]float32{}
			for _, g := range grads {
				base[g.Name] = g.Data
			}
			s, r := float32(a.Config.Scale()), a.Config.R
			for _, l := range a.Layers {
				dW := base[l.Module+".weight"]
				av, bv := l.values()
				in, out := l.handle.In, l.handle.Out
				dA, dB := make([]float32, len(av)), make([]float32, len(bv))
				if l.Embedding != nil { // in = vocab, out = dim; dW = dE (vocab, dim)
					kernel.Sgemm(true, true, r, in, out, s, bv, r, dW, out, 0, dA, in)
					kernel.Sgemm(true, true, out, r, in, s, dW, out, av, in, 0, dB, r)
				} else {
					kernel.Sgemm(true, false, r, in, out, s, bv, r, dW, in, 0, dA, in)
					kernel.Sgemm(false, true, out, r, in, s, dW, in, av, in, 0, dB, r)
				}
				na, nb := l.Names()
				for _, g := range []struct {
					name string
					got  []float32
				}{{na, dA}, {nb, dB}} {
					want := fixture.F32(t, ref, g.name)
					scale := 0.0
					for _, v := range want {
						scale = max(scale, math.Abs(float64(v)))
					}
					t.Logf("%s: %v", g.name, fixture.Compare(g.got, want, 1e-4*scale, 0))
					fixture.RequireClose(t, g.name, g.got, want, 1e-4*scale, 0)
				}
			}
		})
	}
}

package train

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

// fixtureParams builds Params named and shaped as the fixture's parameters (the tensors of
// grads.safetensors other than the loss), with data from model.safetensors and gradients from
// grads.safetensors, flagging what mamba_ssm flags _no_weight_decay.
func fixtureParams(t *testing.T, folder string) []*Param {
	t.Helper()
	grads := fixture.Open(t, folder, "grads.safetensors")
	weights := fixture.Open(t, folder, "model.safetensors")
	var params []*Param
	for _, name := range grads.Names() {
		if name == "loss" {
			continue
		}
		info, _ := grads.Info(name)
		last := name[strings.LastIndex(name, ".")+1:]
		params = append(params, &Param{
			Name: name, Shape: info.Shape,
			Data:    fixture.F32(t, weights, name),
			Grad:    fixture.F32(t, grads, name),
			NoDecay: last == "A_log" || last == "D" || last == "dt_bias",
		})
	}
	return params
}

// TestSplitDecayMatchesFixture checks the parameter groups against the no_decay and decay
// lists the reference harness stored in train_steps.safetensors.
func TestSplitDecayMatchesFixture(t *testing.T) {
	for _, folder := range []string{"mamba1", "mamba2", "gpt_neox"} {
		t.Run(folder, func(t *testing.T) {
			meta := fixture.Open(t, folder, "train_steps.safetensors").Metadata
			var wantDecay, wantNoDecay []string
			if err := json.Unmarshal([]byte(meta["decay"]), &wantDecay); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(meta["no_decay"]), &wantNoDecay); err != nil {
				t.Fatal(err)
			}
			decay, noDecay := SplitDecay(fixtureParams(t, folder))
			for _, c := range []struct {
				group string
				got   []*Param
				want  []string
			}{{"decay", decay, wantDecay}, {"no_decay", noDecay, wantNoDecay}} {
				var got []string
				for _, p := range c.got {
					got = append(got, p.Name)
				}
				slices.Sort(got)
				slices.Sort(c.want)
				if !slices.Equal(got, c.want) {
					t.Errorf("%s group:\n got %v\nwant %v", c.group, got, c.want)
				}
			}
		})
	}
}

// TestGradNormMatchesFixture compares the global norm of the step-0 gradients with the
// reference's grad_norms[0] (clip_grad_norm_'s return value), fp32 and clip1 runs alike, bit
// for bit.
func TestGradNormMatchesFixture(t *testing.T) {
	for _, folder := range []string{"mamba1", "mamba2", "gpt_neox"} {
		t.Run(folder, func(t *testing.T) {
			steps := fixture.Open(t, folder, "train_steps.safetensors")
			params := fixtureParams(t, folder)
			got := GradNorm(params)
			for _, key := range []string{"grad_norms", "clip1.grad_norms"} {
				if want := fixture.F32(t, steps, key)[0]; got != want {
					t.Errorf("%s[0] = %.9g, GradNorm %.9g: want bit-identical", key, want, got)
				}
			}
			coef := ClipCoef(GradNorm(params), 1)
			if want := float32(1) / (GradNorm(params) + float32(1e-6)); coef != want {
				t.Errorf("ClipCoef = %v, want reciprocal %v", coef, want)
			}
		})
	}
}

// TestAdamWDecayOnlyRowsMatchFixture checks AdamW bit for bit where the reference's update is
// known without a model: the GPT-NeoX input-embedding rows of tokens absent from the batch
// have a zero gradient at every step, so ten steps of torch's AdamW (lr 1e-3, weight decay
// 0.1) only multiply them by fl32(1 − 1e-4) ten times, each product rounded to fp32.
func TestAdamWDecayOnlyRowsMatchFixture(t *testing.T) {
	const name = "gpt_neox.embed_in.weight"
	ids, _, _ := fixture.Tokens(t, "gpt_neox")
	weights := fixture.Open(t, "gpt_neox", "model.safetensors")
	steps := fixture.Open(t, "gpt_neox", "train_steps.safetensors")
	grads := fixture.Open(t, "gpt_neox", "grads.safetensors")
	info, _ := weights.Info(name)
	vocab, dim := info.Shape[0], info.Shape[1]
	start, final, g0 := fixture.F32(t, weights, name), fixture.F32(t, steps, name), fixture.F32(t, grads, name)
	var rows []int
	for tok := range vocab {
		if !slices.Contains(ids, int32(tok)) {
			rows = append(rows, tok)
		}
	}
	p := &Param{Name: name, Shape: []int{len(rows), dim}}
	var want []float32
	for _, r := range rows {
		if slices.ContainsFunc(g0[r*dim:(r+1)*dim], func(g float32) bool { return g != 0 }) {
			t.Fatalf("row %d: token absent from the batch but gradient non-zero", r)
		}
		p.Data = append(p.Data, start[r*dim:(r+1)*dim]...)
		want = append(want, final[r*dim:(r+1)*dim]...)
	}
	p.Grad = make([]float32, len(p.Data))
	opt, err := NewAdamW([]*Param{p}, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		opt.Step(1e-3)
	}
	// The same in float64 rounded once per step: shows the test tells the roundings apart.
	var doubleDiffers int
	for i, x := range p.Data {
		if x != want[i] {
			t.Fatalf("row %d col %d: %x after 10 steps, reference %x", rows[i/dim], i%dim, x, want[i])
		}
		y := start[rows[i/dim]*dim+i%dim]
		for range 10 {
			y = float32(float64(y) * (1 - 1e-3*0.1))
		}
		if y != want[i] {
			doubleDiffers++
		}
	}
	t.Logf("%d rows × %d bit-identical; a float64 decay factor would miss %d of them", len(rows), dim, doubleDiffers)
}

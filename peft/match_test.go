package peft

import (
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// TestMatchTargets checks PEFT's matching rules (suffix after ".", or a
// regex on the whole path) on the Mamba-1 fixture model and the errors for
// modules that cannot take a LoRA (a conv1d, a norm, too small a module,
// and a Linear a model marks Unsupported, which none of the fixture models
// has any more, so one is added).
func TestMatchTargets(t *testing.T) {
	m := loadBase(t, "mamba1", "hf")
	mods := m.Modules()
	mods["backbone.raw_head"] = nn.Module{Kind: nn.KindLinear, In: 8, Out: 8, Unsupported: "applied without nn.Linear.Forward"}
	cases := []struct {
		name      string
		targets   []string
		regex     string
		r         int
		modules   []string
		unmatched []string
		err       string
	}{
		{"suffix_list", []string{"x_proj", "nothing_here"}, "", 4,
			[]string{"backbone.layers.0.mixer.x_proj", "backbone.layers.1.mixer.x_proj"}, []string{"nothing_here"}, ""},
		{"full_path", []string{"backbone.layers.1.mixer.out_proj"}, "", 4, []string{"backbone.layers.1.mixer.out_proj"}, nil, ""},
		{"suffix_needs_dot", []string{"proj"}, "", 4, nil, nil, "match no module"},
		{"regex_fullmatch", nil, `.*\.0\.mixer\.(in|out)_proj`, 4,
			[]string{"backbone.layers.0.mixer.in_proj", "backbone.layers.0.mixer.out_proj"}, nil, ""},
		{"regex_partial_is_no_match", nil, `mixer\.in_proj`, 4, nil, nil, "match no module"},
		{"embedding", []string{"embeddings"}, "", 4, []string{"backbone.embeddings"}, nil, ""},
		{"conv1d", []string{"conv1d"}, "", 4, nil, nil, "a Conv1d"},
		{"norm", []string{"norm_f"}, "", 4, nil, nil, "a Norm"},
		{"dt_proj", []string{"dt_proj"}, "", 1, []string{"backbone.layers.0.mixer.dt_proj", "backbone.layers.1.mixer.dt_proj"}, nil, ""},
		{"unsupported_linear", []string{"raw_head"}, "", 1, nil, nil, "cannot take a LoRA: applied without nn.Linear.Forward"},
		{"rank_above_min_dim", []string{"x_proj"}, "", 37, nil, nil, "exceeds min(in, out) = 36"},
		{"bad_regex", nil, `(`, 4, nil, nil, "target_modules regex"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MatchTargets(Config{R: c.r, TargetModules: c.targets, TargetRegex: c.regex}, mods)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Modules, c.modules) || !slices.Equal(got.Unmatched, c.unmatched) {
				t.Errorf("got %v, want modules %v, unmatched %v", got, c.modules, c.unmatched)
			}
		})
	}
}

func TestPresets(t *testing.T) {
	cases := []struct {
		arch, name string
		want       []string
		err        string
	}{
		{"mamba", "lora-subset", []string{"x_proj"}, ""},
		{"mamba", "lora-all", []string{"x_proj", "in_proj", "out_proj", "embeddings"}, ""},
		{"mamba2", "lora-subset", []string{"in_proj"}, ""},
		{"gpt_neox", "lora-subset", []string{"query_key_value"}, ""},
		{"gpt_neox", "lora-all", []string{"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"}, ""},
		{"gpt_neox", "lora-most", nil, "have lora-all, lora-subset"},
		{"llama", "lora-all", nil, "no LoRA presets"},
	}
	for _, c := range cases {
		got, err := Preset(c.arch, c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s/%s: err = %v, want %q", c.arch, c.name, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s/%s: %v, %v; want %v", c.arch, c.name, got, err, c.want)
		}
	}
}

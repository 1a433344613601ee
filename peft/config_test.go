package peft

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

func TestReadConfigFixtures(t *testing.T) {
	cases := []struct {
		dir     string
		r       int
		alpha   float64
		rslora  bool
		targets []string
		scale   float64
	}{
		{"mamba1", 4, 8, false, []string{"x_proj", "embeddings", "in_proj", "out_proj"}, 2},
		{"gpt_neox", 4, 8, false, []string{"dense", "dense_h_to_4h", "query_key_value", "dense_4h_to_h"}, 2},
		{"gpt_neox_rslora", 4, 8, true, []string{"dense", "dense_h_to_4h", "query_key_value", "dense_4h_to_h"}, 4},
	}
	for _, c := range cases {
		got, err := ReadConfig(fixture.Path(t, "lora", c.dir))
		if err != nil {
			t.Fatal(err)
		}
		if got.R != c.r || got.Alpha != c.alpha || got.UseRSLoRA != c.rslora || !slices.Equal(got.TargetModules, c.targets) {
			t.Errorf("%s: %+v", c.dir, got)
		}
		if math.Abs(got.Scale()-c.scale) > 1e-12 {
			t.Errorf("%s: scale %g, want %g", c.dir, got.Scale(), c.scale)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"not lora", `{"peft_type": "IA3", "r": 4, "target_modules": ["x"]}`, "only LORA"},
		{"zero rank", `{"peft_type": "LORA", "r": 0, "target_modules": ["x"]}`, "rank must be positive"},
		{"no targets", `{"peft_type": "LORA", "r": 4}`, "target_modules is missing"},
		{"dora", `{"peft_type": "LORA", "r": 4, "use_dora": true, "target_modules": ["x"]}`, "DoRA"},
		{"bad targets", `{"peft_type": "LORA", "r": 4, "target_modules": 3}`, "want a list"},
		{"empty targets", `{"peft_type": "LORA", "r": 4, "target_modules": []}`, "names no module"},
		{"rank pattern", `{"peft_type": "LORA", "r": 4, "target_modules": ["x"], "rank_pattern": {"x": 8}}`, "rank_pattern"},
		{"modules to save", `{"peft_type": "LORA", "r": 4, "target_modules": ["x"], "modules_to_save": ["lm_head"]}`, "modules_to_save"},
		{"layers to transform", `{"peft_type": "LORA", "r": 4, "target_modules": ["x"], "layers_to_transform": [0]}`, "layers_to_transform"},
	}
	for _, c := range cases {
		if _, err := ParseConfig([]byte(c.json)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	c, err := ParseConfig([]byte(`{"peft_type": "LORA", "r": 2, "target_modules": ".*proj"}`))
	if err != nil || c.TargetRegex != ".*proj" || c.Alpha != 8 {
		t.Errorf("regex targets / default alpha: %+v, %v", c, err)
	}
}

func TestInspectFixtures(t *testing.T) {
	cases := []struct {
		dir       string
		modules   int
		params    int64
		embedding bool
	}{
		// 2 layers × (in_proj 4·64+256·4, out_proj 4·128+64·4, x_proj 4·128+36·4) + embedding 4·512+64·4
		{"mamba1", 7, 2*(1280+768+656) + 2304, true},
		// 2 layers × (qkv 4·64+192·4, dense 4·64+64·4, h_to_4h 4·64+256·4, 4h_to_h 4·256+64·4)
		{"gpt_neox", 8, 2 * (1024 + 512 + 1280 + 1280), false},
	}
	for _, c := range cases {
		s, err := Inspect(fixture.Path(t, "lora", c.dir))
		if err != nil {
			t.Fatal(err)
		}
		if s.Modules != c.modules || s.Params != c.params || s.Embedding != c.embedding || s.Tensors != 2*c.modules {
			t.Errorf("%s: %+v, want %d modules, %d params", c.dir, s, c.modules, c.params)
		}
	}
}

// FuzzParseConfig checks that ParseConfig never panics and that a config it
// accepts survives Save's rendering unchanged.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["x_proj", "in_proj"], "use_rslora": true}`))
	f.Add([]byte(`{"peft_type": "LORA", "r": 2, "target_modules": ".*proj", "auto_mapping": {"base_model_class": "GPTNeoXForCausalLM"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseConfig(raw)
		if err != nil {
			return
		}
		out, err := configJSON(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("rendered config %s does not parse: %v", out, err)
		}
		if again.R != c.R || again.Alpha != c.Alpha || again.TargetRegex != c.TargetRegex ||
			!slices.Equal(again.TargetModules, c.TargetModules) || again.UseRSLoRA != c.UseRSLoRA || again.BaseModelClass != c.BaseModelClass {
			t.Fatalf("round trip %+v → %+v", c, again)
		}
	})
}

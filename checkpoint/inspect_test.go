package checkpoint

import (
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
)

// Parameter counts below are derived by hand from each architecture's shapes
// (see the fixtures README), not read back from the files.
func TestInspectFixtures(t *testing.T) {
	cases := []struct {
		dir        string
		arch       Arch
		format     ConfigFormat
		layout     Layout
		params     int64
		tied       bool
		headStored bool
		tensors    int
	}{
		// 2 layers × 32704 + embedding 512·64 + norm_f 64
		{"mamba1", Mamba, ConfigMambaSSM, LayoutMambaSSM, 98240, true, true, 23},
		{"mamba1/hf", Mamba, ConfigHF, LayoutHF, 98240, true, false, 22},
		// 2 layers × 28152 + embedding 32768 + norm_f 64
		{"mamba2", Mamba2, ConfigMambaSSM, LayoutMambaSSM, 89136, true, true, 21},
		{"mamba2/hf", Mamba2, ConfigHF, LayoutHF, 89136, true, true, 21},
		// 2 layers × 49984 + embed_in + embed_out (untied) + final LN 128
		{"gpt_neox", NeoX, ConfigHF, LayoutHF, 165632, false, true, 28},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			ck, err := Open(fixture.Path(t, c.dir))
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			s := ck.Summarize()
			if s.Arch != c.arch || s.ConfigFormat != c.format || s.Layout != c.layout {
				t.Errorf("arch/format/layout = %s/%s/%s, want %s/%s/%s", s.Arch, s.ConfigFormat, s.Layout, c.arch, c.format, c.layout)
			}
			if s.Params != c.params {
				t.Errorf("params = %d, want %d", s.Params, c.params)
			}
			if s.TiedHead != c.tied || s.HeadStored != c.headStored {
				t.Errorf("tied=%v stored=%v, want %v %v", s.TiedHead, s.HeadStored, c.tied, c.headStored)
			}
			if s.Layers != 2 || s.Tensors != c.tensors || s.DTypes["F32"] != c.tensors {
				t.Errorf("layers=%d tensors=%d dtypes=%v, want 2, %d all F32", s.Layers, s.Tensors, s.DTypes, c.tensors)
			}
		})
	}
}

func TestDetectArchErrors(t *testing.T) {
	cases := []struct{ name, config, want string }{
		{"not json", `{`, "config.json"},
		{"unknown model_type", `{"model_type": "llama"}`, `model_type "llama" is not supported`},
		{"unknown ssm layer", `{"d_model": 8, "ssm_cfg": {"layer": "Mamba3"}}`, `ssm_cfg.layer "Mamba3"`},
		{"neither", `{"hidden": 8}`, "neither model_type"},
	}
	for _, c := range cases {
		_, _, err := DetectArch([]byte(c.config))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

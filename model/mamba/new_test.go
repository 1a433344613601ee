package mamba

import (
	"strings"
	"testing"
)

// mapWeights is a model.Weights over a map, for the loader's error cases.
type mapWeights map[string]struct {
	data  []float32
	shape []int
}

func (w mapWeights) Has(name string) bool { _, ok := w[name]; return ok }
func (w mapWeights) F32(name string) ([]float32, []int, error) {
	t := w[name]
	return t.data, t.shape, nil
}

// fixtureWeightsMap copies the mamba_ssm fixture weights into a mapWeights.
func fixtureWeightsMap(t *testing.T) mapWeights {
	f := openFixture(t, "model.safetensors")
	w := mapWeights{}
	for _, n := range f.Names() {
		x, shape, err := f.F32(n)
		if err != nil {
			t.Fatal(err)
		}
		w[n] = struct {
			data  []float32
			shape []int
		}{x, shape}
	}
	return w
}

func TestNewRejectsBadWeights(t *testing.T) {
	cfg := fixtureModel(t, fixtures, false).Config()
	for _, tc := range []struct {
		name    string
		edit    func(w mapWeights, c *Config)
		wantErr string
	}{
		{"missing_A_log", func(w mapWeights, c *Config) { delete(w, "backbone.layers.1.mixer.A_log") }, "missing tensor backbone.layers.1.mixer.A_log"},
		{"missing_embedding", func(w mapWeights, c *Config) { delete(w, "backbone.embedding.weight") }, "missing tensor backbone.embedding.weight"},
		{"wrong_x_proj_shape", func(w mapWeights, c *Config) {
			x := w["backbone.layers.0.mixer.x_proj.weight"]
			x.shape = []int{128, 36}
			w["backbone.layers.0.mixer.x_proj.weight"] = x
		}, "backbone.layers.0.mixer.x_proj.weight has shape [128 36], want [36 128]"},
		{"untied_without_lm_head", func(w mapWeights, c *Config) { delete(w, "lm_head.weight"); c.TieEmbeddings = false }, "missing tensor lm_head.weight"},
		{"bias_in_checkpoint_not_in_config", func(w mapWeights, c *Config) { c.ConvBias = false }, "conv1d.bias is present"},
		{"config_bias_not_in_checkpoint", func(w mapWeights, c *Config) { c.Bias = true }, "missing tensor backbone.layers.0.mixer.in_proj.bias"},
		{"tied_but_lm_head_differs", func(w mapWeights, c *Config) {
			h := w["lm_head.weight"]
			h.data = append([]float32(nil), h.data...)
			h.data[5]++
			w["lm_head.weight"] = h
		}, "tie_embeddings is set but lm_head.weight differs from backbone.embedding.weight"},
		{"vocab_not_matching_embedding", func(w mapWeights, c *Config) { c.VocabSize = 500; c.PadVocabSizeMultiple = 1 }, "backbone.embedding.weight has shape [512 64], want [500 64]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, c := fixtureWeightsMap(t), cfg
			tc.edit(w, &c)
			_, err := New(c, w)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestUntiedHeadUsesLMHead(t *testing.T) {
	w := fixtureWeightsMap(t)
	head := w["lm_head.weight"]
	head.data = make([]float32, len(head.data)) // a zero head gives zero logits
	w["lm_head.weight"] = head
	c := fixtureModel(t, fixtures, false).Config()
	c.TieEmbeddings = false
	m, err := New(c, w)
	if err != nil {
		t.Fatal(err)
	}
	logits, err := m.Forward([]int32{1, 2}, 1, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	requireClose(t, "logits", logits, make([]float32, len(logits)), 0)
}

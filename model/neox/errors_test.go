package neox

import (
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/model"
)

func TestNewRejectsBadWeights(t *testing.T) {
	cfg := tinyConfig()
	cases := []struct {
		name    string
		edit    func(mapWeights)
		wantErr string
	}{
		{"missing_qkv_bias", func(w mapWeights) { delete(w, "gpt_neox.layers.1.attention.query_key_value.bias") }, "gpt_neox.layers.1.attention.query_key_value.bias"},
		{"missing_embed_out_untied", func(w mapWeights) { delete(w, "embed_out.weight") }, "embed_out.weight"},
		{"transposed_fc1", func(w mapWeights) {
			e := w["gpt_neox.layers.0.mlp.dense_h_to_4h.weight"]
			e.shape = []int{e.shape[1], e.shape[0]}
			w["gpt_neox.layers.0.mlp.dense_h_to_4h.weight"] = e
		}, "gpt_neox.layers.0.mlp.dense_h_to_4h.weight has shape [24 48], want [48 24]"},
		{"short_final_ln", func(w mapWeights) {
			e := w["gpt_neox.final_layer_norm.bias"]
			e.data = e.data[:3]
			w["gpt_neox.final_layer_norm.bias"] = e
		}, "gpt_neox.final_layer_norm.bias has 3 values"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := randomWeights(cfg, 2, 0.3)
			c.edit(w)
			_, err := New(cfg, w)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

// TestNewIgnoresBuffersAndTiesEmbeddings checks that the non-persistent
// buffers of real Pythia files are ignored, that tie_word_embeddings uses
// embed_in for the head when embed_out is absent, and that attention_bias
// false needs no attention biases.
func TestNewIgnoresBuffersAndTiesEmbeddings(t *testing.T) {
	cfg := tinyConfig()
	cfg.TieWordEmbeddings = true
	cfg.AttentionBias = false
	w := randomWeights(cfg, 3, 0.3)
	delete(w, "embed_out.weight")
	for _, name := range []string{"gpt_neox.layers.0.attention.bias", "gpt_neox.layers.0.attention.masked_bias", "gpt_neox.layers.0.attention.rotary_emb.inv_freq"} {
		w[name] = w["gpt_neox.final_layer_norm.bias"]
	}
	m, err := New(cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	if &m.embedOut.Weight[0] != &m.embedIn.Weight[0] {
		t.Error("embed_out is not tied to embed_in")
	}
	if m.layers[0].qkv.Bias != nil || m.layers[0].dense.Bias != nil {
		t.Error("attention biases loaded although attention_bias is false")
	}
	if _, err := m.Forward([]int32{1, 2, 3}, 1, 3, nil); err != nil {
		t.Fatal(err)
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	cfg := tinyConfig()
	m := newRandomModel(t, cfg)
	other := newRandomModel(t, cfg)
	full := m.NewState(1).(*State)
	if _, err := m.Forward(make([]int32, 18), 1, 18, full); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		tokens     []int32
		batch, seq int
		state      func() *State
		wantErr    string
	}{
		{"empty_seq", nil, 1, 0, nil, "empty input"},
		{"empty_batch", nil, 0, 3, nil, "empty input"},
		{"token_count_mismatch", []int32{1, 2, 3}, 2, 2, nil, "3 tokens for batch 2"},
		{"token_negative", []int32{1, -1}, 1, 2, nil, "token id -1 at (0, 1)"},
		{"token_too_large", []int32{1, 2, 40, 0}, 2, 2, nil, "token id 40 at (1, 0)"},
		{"too_long_without_state", make([]int32, 21), 1, 21, nil, "exceed max_position_embeddings 20"},
		{"cache_overflow", make([]int32, 3), 1, 3, func() *State { return full }, "18 cached + 3 new tokens exceed"},
		{"state_of_other_model", []int32{1}, 1, 1, func() *State { return other.NewState(1).(*State) }, "not made by this model"},
		{"nil_state_pointer", []int32{1}, 1, 1, func() *State { return nil }, "not made by this model"},
		{"state_batch_mismatch", []int32{1, 2}, 2, 1, func() *State { return m.NewState(1).(*State) }, "state holds 1 sequences, input has batch 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.state == nil {
				_, err = m.Forward(c.tokens, c.batch, c.seq, nil)
			} else {
				_, err = m.Forward(c.tokens, c.batch, c.seq, model.State(c.state()))
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
	if full.Len() != 18 {
		t.Errorf("a rejected call changed the state: Len %d, want 18", full.Len())
	}
	if _, err := m.NewStateCap(1, 21); err == nil {
		t.Error("NewStateCap beyond max_position_embeddings: no error")
	}
}

func TestParamsListsEveryCheckpointTensor(t *testing.T) {
	m := fixtureModel(t, nil)
	f := openFixture(t, "model.safetensors")
	ps := m.Params()
	if len(ps) != len(f.Names()) {
		t.Fatalf("%d params, checkpoint has %d tensors", len(ps), len(f.Names()))
	}
	for _, p := range ps {
		want, shape := fixtureF32(t, f, p.Name)
		if !slices.Equal(p.Shape, shape) {
			t.Errorf("%s: shape %v, want %v", p.Name, p.Shape, shape)
		}
		requireClose(t, p.Name, p.Data, want, 0)
	}
}

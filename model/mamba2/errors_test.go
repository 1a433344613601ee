package mamba2

import (
	"strings"
	"testing"

	"github.com/steady-ml/steady/model"
)

// otherState is a model.State of some other architecture.
type otherState struct{}

func (otherState) Batch() int { return 2 }

func TestForwardRejectsBadInput(t *testing.T) {
	c := smallConfig()
	m := newRandomModel(t, c, 1)
	other := c
	other.DState = 4
	otherModel := newRandomModel(t, other, 2)
	for _, tc := range []struct {
		name       string
		tokens     []int32
		batch, seq int
		state      model.State
		wantErr    string
	}{
		{"empty_seq", nil, 1, 0, nil, "empty input"},
		{"empty_batch", nil, 0, 3, nil, "empty input"},
		{"token_count_mismatch", []int32{1, 2, 3}, 2, 2, nil, "3 tokens for batch 2"},
		{"negative_token", []int32{1, -1}, 1, 2, nil, "token id -1 at batch 0 position 1"},
		{"token_in_vocab_padding", []int32{50}, 1, 1, nil, "token id 50"},
		{"state_batch_mismatch", []int32{1, 2}, 2, 1, m.NewState(3), "holds 3 sequences but the input has batch 2"},
		{"state_from_other_model", []int32{1, 2}, 2, 1, otherModel.NewState(2), "another model"},
		{"state_of_other_arch", []int32{1, 2}, 2, 1, otherState{}, "not a Mamba-2 *State"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Forward(tc.tokens, tc.batch, tc.seq, tc.state)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewRejectsBadWeights(t *testing.T) {
	c := smallConfig()
	for _, tc := range []struct {
		name    string
		modify  func(w mapWeights)
		wantErr string
	}{
		{"missing_A_log", func(w mapWeights) { delete(w, "backbone.layers.1.mixer.A_log") }, "missing tensor backbone.layers.1.mixer.A_log"},
		{"missing_embedding", func(w mapWeights) { delete(w, nameEmbedding) }, "missing tensor backbone.embedding.weight"},
		{"missing_untied_head", func(w mapWeights) { delete(w, nameLMHead) }, "missing tensor lm_head.weight"},
		{"in_proj_wrong_shape", func(w mapWeights) {
			w["backbone.layers.0.mixer.in_proj.weight"] = mapTensor{make([]float32, 10*32), []int{10, 32}}
		}, "backbone.layers.0.mixer.in_proj.weight has shape [10 32], want [168 32]"},
		{"unpadded_embedding", func(w mapWeights) {
			w[nameEmbedding] = mapTensor{make([]float32, 50*32), []int{50, 32}}
		}, "backbone.embedding.weight has shape [50 32], want [56 32]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := randomWeights(c, 1)
			tc.modify(w)
			_, err := New(c, w)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("bias_present_but_config_says_none", func(t *testing.T) {
		noBias := c
		noBias.Bias = false
		_, err := New(noBias, randomWeights(c, 1))
		if err == nil || !strings.Contains(err.Error(), "backbone.layers.0.mixer.in_proj.bias is in the checkpoint") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("hf_embedding_name", func(t *testing.T) {
		w := randomWeights(c, 1)
		w[nameEmbeddingHF] = w[nameEmbedding]
		delete(w, nameEmbedding)
		if _, err := New(c, w); err != nil {
			t.Fatal(err)
		}
	})
}

package mamba_test

import (
	"fmt"

	"github.com/steady-ml/steady/model/mamba"
)

func ExampleParseConfig() {
	// mamba_ssm's config.json for state-spaces/mamba-130m.
	cfg, err := mamba.ParseConfig([]byte(`{"d_model": 768, "n_layer": 24, "vocab_size": 50277,
		"ssm_cfg": {}, "rms_norm": true, "residual_in_fp32": true, "fused_add_norm": true,
		"pad_vocab_size_multiple": 8, "tie_embeddings": true}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("d_inner", cfg.DInner, "dt_rank", cfg.DtRank, "d_state", cfg.DState, "logits", cfg.PaddedVocab())
	// Output: d_inner 1536 dt_rank 48 d_state 16 logits 50280
}

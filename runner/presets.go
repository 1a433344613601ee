package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/model/mamba"
	"github.com/steady-ml/steady/model/mamba2"
	"github.com/steady-ml/steady/model/neox"
)

// presets are the sizes Pretrain builds, per architecture, as config.json
// for the architecture's ParseConfig; the architecture's defaults fill the
// rest (GPT-NeoX: parallel residual, rotary_pct 0.25, untied embeddings;
// Mamba-2: expand 2, tied embeddings). Every vocabulary holds the GPT-NeoX
// tokenizer's 50277 ids: GPT-NeoX's padded to 50304, a multiple of 128, as
// Pythia pads it; Mamba-2's padded by the model to a multiple of 8.
//
//	gpt_neox tiny   hidden 64,  2 layers, 4 heads, MLP 256           6.5M parameters (6.4M in the embeddings)
//	gpt_neox small  hidden 128, 6 layers, 4 heads, MLP 512           14.1M parameters (Pythia-14m's shape)
//	mamba    tiny   d_model 64,  2 layers, d_state 16                3.3M parameters
//	mamba    small  d_model 128, 4 layers, d_state 16                6.9M parameters
//	mamba2   tiny   d_model 64,  2 layers, d_state 16, headdim 16    3.3M parameters
//	mamba2   small  d_model 128, 4 layers, d_state 32, headdim 32    6.9M parameters
var presets = map[checkpoint.Arch]map[string]string{
	checkpoint.Mamba: {
		"tiny":  `{"d_model": 64, "n_layer": 2, "vocab_size": 50277}`,
		"small": `{"d_model": 128, "n_layer": 4, "vocab_size": 50277}`,
	},
	checkpoint.NeoX: {
		"tiny": `{"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 64, "num_hidden_layers": 2,
			"num_attention_heads": 4, "intermediate_size": 256, "max_position_embeddings": 2048}`,
		"small": `{"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 128, "num_hidden_layers": 6,
			"num_attention_heads": 4, "intermediate_size": 512, "max_position_embeddings": 2048}`,
	},
	checkpoint.Mamba2: {
		"tiny": `{"d_model": 64, "n_layer": 2, "vocab_size": 50277,
			"ssm_cfg": {"layer": "Mamba2", "d_state": 16, "headdim": 16, "chunk_size": 64}}`,
		"small": `{"d_model": 128, "n_layer": 4, "vocab_size": 50277,
			"ssm_cfg": {"layer": "Mamba2", "d_state": 32, "headdim": 32, "chunk_size": 64}}`,
	},
}

// Sizes lists the size presets of an architecture, sorted.
func Sizes(arch string) []string {
	var sizes []string
	for s := range presets[checkpoint.Arch(arch)] {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	return sizes
}

// newPretrainModel initialises a model of arch and size from seed, as the
// architecture's reference code initialises it.
func newPretrainModel(arch, size string, seed uint64) (Trainable, error) {
	a := checkpoint.Arch(arch)
	switch a {
	case checkpoint.NeoX, checkpoint.Mamba, checkpoint.Mamba2:
	default:
		return nil, fmt.Errorf("arch %q: want gpt_neox, mamba2 or mamba", arch)
	}
	text, ok := presets[a][size]
	if !ok {
		return nil, fmt.Errorf("size %q: %s has sizes %s", size, arch, strings.Join(Sizes(arch), ", "))
	}
	var m any
	var err error
	switch a {
	case checkpoint.NeoX:
		var cfg neox.Config
		if cfg, err = neox.ParseConfig([]byte(text)); err == nil {
			m, err = neox.Init(cfg, seed)
		}
	case checkpoint.Mamba:
		var cfg mamba.Config
		if cfg, err = mamba.ParseConfig([]byte(text)); err == nil {
			m, err = mamba.Init(cfg, seed)
		}
	case checkpoint.Mamba2:
		var cfg mamba2.Config
		if cfg, err = mamba2.ParseConfig([]byte(text)); err == nil {
			m, err = mamba2.Init(cfg, seed)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s size %s: %w", arch, size, err)
	}
	return asTrainable(a, m)
}

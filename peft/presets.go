package peft

import (
	"fmt"
	"slices"
	"strings"
)

// presets are the paper's named target sets per architecture (config.json
// model_type). Mamba-1's lora-subset is x_proj, the projection that makes
// the selective parameters Δ, B and C input-dependent. Mamba-2 has no
// x_proj: its in_proj produces z, x, B, C and dt in one matrix, so in_proj
// is the closest counterpart and its lora-subset; lora-all adds out_proj and
// the embedding as for Mamba-1.
var presets = map[string]map[string][]string{
	"mamba": {
		"lora-subset": {"x_proj"},
		"lora-all":    {"x_proj", "in_proj", "out_proj", "embeddings"},
	},
	"mamba2": {
		"lora-subset": {"in_proj"},
		"lora-all":    {"in_proj", "out_proj", "embeddings"},
	},
	"gpt_neox": {
		"lora-subset": {"query_key_value"},
		"lora-all":    {"query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"},
	},
}

// Preset returns the target modules of a named preset ("lora-subset",
// "lora-all") for an architecture (model_type "mamba", "mamba2",
// "gpt_neox"). The list is a copy the caller may change.
func Preset(arch, name string) ([]string, error) {
	byName, ok := presets[arch]
	if !ok {
		return nil, fmt.Errorf("no LoRA presets for architecture %q (have mamba, mamba2, gpt_neox)", arch)
	}
	targets, ok := byName[name]
	if !ok {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("no LoRA preset %q for %s (have %s)", name, arch, strings.Join(names, ", "))
	}
	return slices.Clone(targets), nil
}

// isPreset reports whether a target names a preset of some architecture.
func isPreset(target string) bool {
	for _, byName := range presets {
		if _, ok := byName[target]; ok {
			return true
		}
	}
	return false
}

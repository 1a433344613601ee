package neox

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// mapWeights implements model.Weights over tensors held in memory.
type mapWeights map[string]struct {
	data  []float32
	shape []int
}

func (w mapWeights) Has(name string) bool { _, ok := w[name]; return ok }

func (w mapWeights) F32(name string) ([]float32, []int, error) {
	t, ok := w[name]
	if !ok {
		return nil, nil, fmt.Errorf("tensor %s not found", name)
	}
	return t.data, t.shape, nil
}

// randomWeights returns every tensor of cfg's name table with N(0, std²)
// values (LayerNorm weights 1 + N(0, std²)).
func randomWeights(cfg Config, seed uint64, std float32) mapWeights {
	r := rand.New(rand.NewPCG(seed, 7))
	w := mapWeights{}
	shell := &Model{Config: cfg, layers: make([]layer, cfg.NumHiddenLayers)}
	for _, t := range shell.tensors() {
		data := make([]float32, numel(t.shape))
		for i := range data {
			data[i] = std * float32(r.NormFloat64())
		}
		if isNormWeight(t.name) {
			for i := range data {
				data[i]++
			}
		}
		w[t.name] = struct {
			data  []float32
			shape []int
		}{data, t.shape}
	}
	return w
}

func isNormWeight(name string) bool {
	return strings.HasSuffix(name, "layernorm.weight") || strings.HasSuffix(name, "layer_norm.weight")
}

// tinyConfig is a small model for tests that need no fixture.
func tinyConfig() Config {
	return Config{
		VocabSize: 40, HiddenSize: 24, NumHiddenLayers: 2, NumAttentionHeads: 3, IntermediateSize: 48,
		HiddenAct: "gelu", RotaryPct: 0.5, RotaryEmbBase: 10000, MaxPositionEmbeddings: 20, LayerNormEps: 1e-5,
		UseParallelResidual: true, AttentionBias: true,
	}
}

func newRandomModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg, randomWeights(cfg, 1, 0.3))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

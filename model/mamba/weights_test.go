package mamba

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/steady-ml/steady/half"
	"github.com/steady-ml/steady/safetensors"
)

// The repository sits beside shared/, two levels above this package.
const fixtures = "../../../shared/fixtures/mamba1"

// fileWeights is a model.Weights over one safetensors file, optionally
// rounding every tensor to bf16 (round-to-nearest-even) as torch's
// model.to(torch.bfloat16) does.
type fileWeights struct {
	f    *safetensors.File
	bf16 bool
}

func (w fileWeights) Has(name string) bool { _, ok := w.f.Info(name); return ok }

func (w fileWeights) F32(name string) ([]float32, []int, error) {
	x, shape, err := w.f.F32(name)
	if err == nil && w.bf16 {
		for i, v := range x {
			x[i] = half.BF16FromF32(v).F32()
		}
	}
	return x, shape, err
}

// fixtureModel loads dir/config.json and dir/model.safetensors.
func fixtureModel(t testing.TB, dir string, bf16 bool) *Model {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, fileWeights{f: f, bf16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureTensor reads one F32 tensor of a fixture file.
func fixtureTensor(t testing.TB, f *safetensors.File, name string) []float32 {
	t.Helper()
	x, _, err := f.F32(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func openFixture(t testing.TB, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(filepath.Join(fixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureInputs returns input_ids (2, 33) as int32.
func fixtureInputs(t testing.TB) (tokens []int32, batch, seq int) {
	t.Helper()
	ids, shape, err := openFixture(t, "inputs.safetensors").I64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	tokens = make([]int32, len(ids))
	for i, v := range ids {
		tokens[i] = int32(v)
	}
	return tokens, shape[0], shape[1]
}

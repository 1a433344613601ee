package neox

import (
	"math"
	"os"
	"testing"

	"github.com/steady-ml/steady/half"
	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/safetensors"
)

// fileWeights implements model.Weights over a safetensors file; round, when
// not nil, is applied to every value (e.g. bf16 rounding).
type fileWeights struct {
	f     *safetensors.File
	round func(float32) float32
}

func (w fileWeights) Has(name string) bool { _, ok := w.f.Info(name); return ok }

func (w fileWeights) F32(name string) ([]float32, []int, error) {
	data, shape, err := w.f.F32(name)
	if err == nil && w.round != nil {
		for i, x := range data {
			data[i] = w.round(x)
		}
	}
	return data, shape, err
}

// openFixture opens shared/fixtures/gpt_neox/<name> (the test is skipped
// when shared/ is absent).
func openFixture(t testing.TB, name string) *safetensors.File {
	t.Helper()
	return fixture.Open(t, "gpt_neox", name)
}

func fixtureF32(t testing.TB, f *safetensors.File, name string) ([]float32, []int) {
	t.Helper()
	data, shape, err := f.F32(name)
	if err != nil {
		t.Fatal(err)
	}
	return data, shape
}

func fixtureConfig(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(fixture.Path(t, "gpt_neox", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixtureModel loads gpt_neox/config.json and model.safetensors, with every
// weight passed through round when it is not nil.
func fixtureModel(t testing.TB, round func(float32) float32) *Model {
	t.Helper()
	cfg, err := ParseConfig(fixtureConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, fileWeights{openFixture(t, "model.safetensors"), round})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureInputs returns inputs.safetensors' input_ids (2, 33).
func fixtureInputs(t testing.TB) (tokens []int32, batch, seq int) {
	t.Helper()
	return fixture.Tokens(t, "gpt_neox")
}

// requireClose fails with max-abs/max-rel and the first bad index when got
// and want differ by more than atol anywhere, and logs the errors otherwise.
func requireClose(t testing.TB, name string, got, want []float32, atol float64) {
	t.Helper()
	fixture.RequireClose(t, name, got, want, atol, 0)
	t.Logf("%s: %v", name, fixture.Compare(got, want, atol, 0))
}

// meanAbsDiff is mean |got − want|.
func meanAbsDiff(got, want []float32) float64 {
	var s float64
	for i := range want {
		s += math.Abs(float64(got[i]) - float64(want[i]))
	}
	return s / float64(len(want))
}

func bf16Round(x float32) float32 { return half.BF16FromF32(x).F32() }

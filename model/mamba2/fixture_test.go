package mamba2

import (
	"math"
	"os"
	"testing"

	"github.com/steady-ml/steady/safetensors"
)

// fixtureDir is shared/fixtures/mamba2/ in the nearest ancestor of the
// package directory that has one: the repository root in a checkout that
// carries shared/, or the directory above it in the workspace.
var fixtureDir = func() string {
	dir := "../../"
	for range 4 {
		if _, err := os.Stat(dir + "shared/fixtures/mamba2/config.json"); err == nil {
			break
		}
		dir += "../"
	}
	return dir + "shared/fixtures/mamba2/"
}()

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

func openFixture(t testing.TB, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.Open(fixtureDir + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fixtureF32(t testing.TB, f *safetensors.File, name string) []float32 {
	t.Helper()
	data, _, err := f.F32(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixtureModel loads <layout>config.json and <layout>model.safetensors, where
// layout is "" (mamba_ssm) or "hf/", with every weight passed through round
// when it is not nil.
func fixtureModel(t testing.TB, layout string, round func(float32) float32) *Model {
	t.Helper()
	data, err := os.ReadFile(fixtureDir + layout + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, fileWeights{openFixture(t, layout+"model.safetensors"), round})
	if err != nil {
		t.Fatal(err)
	}
	return m
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

// diffStats returns the largest absolute and relative differences, the mean
// absolute difference and the first index where |got−want| > atol + rtol·|want|
// (−1 if none).
func diffStats(got, want []float32, atol, rtol float64) (maxAbs, maxRel, meanAbs float64, firstBad int) {
	firstBad = -1
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		maxAbs = max(maxAbs, d)
		meanAbs += d
		if w := math.Abs(float64(want[i])); w > 0 {
			maxRel = max(maxRel, d/w)
		}
		if firstBad < 0 && d > atol+rtol*math.Abs(float64(want[i])) {
			firstBad = i
		}
	}
	return maxAbs, maxRel, meanAbs / float64(max(len(want), 1)), firstBad
}

// requireClose fails the test with max-abs/max-rel and the first bad index
// when got and want differ by more than atol + rtol·|want|, and logs the
// max-abs either way.
func requireClose(t testing.TB, name string, got, want []float32, atol, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", name, len(got), len(want))
	}
	maxAbs, maxRel, _, bad := diffStats(got, want, atol, rtol)
	if bad >= 0 {
		t.Errorf("%s: max abs %.3g, max rel %.3g; first bad index %d: got %g want %g (atol %g rtol %g)",
			name, maxAbs, maxRel, bad, got[bad], want[bad], atol, rtol)
		return
	}
	t.Logf("%s: max abs %.3g", name, maxAbs)
}

package neox

import (
	"math"
	"os"
	"testing"

	"github.com/steady-ml/steady/half"
	"github.com/steady-ml/steady/safetensors"
)

// fixtureDir is shared/fixtures/gpt_neox/ in the nearest ancestor of the
// package directory that has one: the repository root in a checkout that
// carries shared/, or the directory above it in the workspace.
var fixtureDir = func() string {
	dir := "../../"
	for range 4 {
		if _, err := os.Stat(dir + "shared/fixtures/gpt_neox/config.json"); err == nil {
			break
		}
		dir += "../"
	}
	return dir + "shared/fixtures/gpt_neox/"
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

func fixtureF32(t testing.TB, f *safetensors.File, name string) ([]float32, []int) {
	t.Helper()
	data, shape, err := f.F32(name)
	if err != nil {
		t.Fatal(err)
	}
	return data, shape
}

// fixtureModel loads gpt_neox/config.json and model.safetensors, with every
// weight passed through round when it is not nil.
func fixtureModel(t testing.TB, round func(float32) float32) *Model {
	t.Helper()
	data, err := os.ReadFile(fixtureDir + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, fileWeights{openFixture(t, "model.safetensors"), round})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixtureInputs returns inputs.safetensors' input_ids (2, 33) as int32.
func fixtureInputs(t testing.TB) (tokens []int32, batch, seq int) {
	t.Helper()
	ids, shape, err := openFixture(t, "inputs.safetensors").I64("input_ids")
	if err != nil {
		t.Fatal(err)
	}
	tokens = make([]int32, len(ids))
	for i, id := range ids {
		tokens[i] = int32(id)
	}
	return tokens, shape[0], shape[1]
}

// diff holds the max-abs and max-rel difference of two tensors and the first
// index beyond tolerance (-1 if none).
type diff struct {
	maxAbs, maxRel, meanAbs float64
	firstBad                int
}

func compare(got, want []float32, atol float64) diff {
	d := diff{firstBad: -1}
	var sum float64
	for i := range want {
		e := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(e) {
			e = math.Inf(1)
		}
		sum += e
		d.maxAbs = max(d.maxAbs, e)
		if w := math.Abs(float64(want[i])); w > 0 {
			d.maxRel = max(d.maxRel, e/w)
		}
		if d.firstBad < 0 && e > atol {
			d.firstBad = i
		}
	}
	d.meanAbs = sum / float64(len(want))
	return d
}

// requireClose fails with max-abs/max-rel and the first bad index when got
// and want differ by more than atol anywhere.
func requireClose(t testing.TB, name string, got, want []float32, atol float64) diff {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	d := compare(got, want, atol)
	if d.firstBad >= 0 {
		t.Errorf("%s: max abs %.3g, max rel %.3g (atol %g); first bad index %d: got %g, want %g",
			name, d.maxAbs, d.maxRel, atol, d.firstBad, got[d.firstBad], want[d.firstBad])
	} else {
		t.Logf("%s: max abs %.3g, max rel %.3g", name, d.maxAbs, d.maxRel)
	}
	return d
}

func bf16Round(x float32) float32 { return half.BF16FromF32(x).F32() }

package mamba

import (
	"fmt"
	"math"
)

// randomWeights is a model.Weights with mamba_ssm-like random values for any
// Config, generated on first use of each tensor by a cheap deterministic
// generator (the benchmarks need shapes and magnitudes, not a trained model).
type randomWeights struct{ c Config }

func (w randomWeights) Has(name string) bool {
	_, ok := w.shape(name)
	return ok
}

func (w randomWeights) shape(name string) ([]int, bool) {
	c := w.c
	var i int
	var rel string
	if _, err := fmt.Sscanf(name, "backbone.layers.%d.", &i); err == nil {
		rel = name[len(fmt.Sprintf(layerNameStart, i)):]
	}
	switch {
	case name == nameEmbedding[0]:
		return []int{c.PaddedVocab(), c.DModel}, true
	case name == nameNormF[0]:
		return []int{c.DModel}, true
	case rel == nameNorm:
		return []int{c.DModel}, true
	case rel == nameInProj:
		return []int{2 * c.DInner, c.DModel}, true
	case rel == nameInProjB && c.Bias:
		return []int{2 * c.DInner}, true
	case rel == nameOutProjB && c.Bias:
		return []int{c.DModel}, true
	case rel == nameConvB && !c.ConvBias:
		return nil, false
	case rel == nameConv:
		return []int{c.DInner, 1, c.DConv}, true
	case rel == nameConvB, rel == nameDtProjB, rel == nameD:
		return []int{c.DInner}, true
	case rel == nameXProj:
		return []int{c.DtRank + 2*c.DState, c.DInner}, true
	case rel == nameDtProj:
		return []int{c.DInner, c.DtRank}, true
	case rel == nameALog:
		return []int{c.DInner, c.DState}, true
	case rel == nameOutProj:
		return []int{c.DModel, c.DInner}, true
	}
	return nil, false
}

func (w randomWeights) F32(name string) ([]float32, []int, error) {
	shape, ok := w.shape(name)
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %s", name)
	}
	x := make([]float32, product(shape))
	seed := uint64(len(name))*0x9e3779b97f4a7c15 + uint64(len(x))
	for i := range x {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		x[i] = (float32(seed>>40)/float32(1<<24) - 0.5) * 0.1 // U(−0.05, 0.05)
	}
	switch {
	case len(name) > 5 && name[len(name)-5:] == "A_log": // S4D-real init: A_log = log(1..N)
		for j := range x {
			x[j] = float32(math.Log(float64(j%shape[1] + 1)))
		}
	case name[len(name)-1] == 'D', len(name) > 11 && name[len(name)-11:] == "norm.weight", name == nameNormF[0]:
		for j := range x {
			x[j] += 1
		}
	case len(name) > 12 && name[len(name)-12:] == "dt_proj.bias": // softplus⁻¹(0.01)
		for j := range x {
			x[j] = -4.6
		}
	}
	return x, shape, nil
}

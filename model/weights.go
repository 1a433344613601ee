package model

import (
	"fmt"
	"slices"
)

// MapWeights serves in-memory tensors as Weights: freshly initialised
// parameters, or tensors built by a test.
type MapWeights map[string]MapTensor

// MapTensor is one tensor of a MapWeights.
type MapTensor struct {
	Data  []float32
	Shape []int
}

// Put stores data under name with the given shape.
func (w MapWeights) Put(name string, data []float32, shape ...int) {
	w[name] = MapTensor{Data: data, Shape: slices.Clone(shape)}
}

// Has reports whether the named tensor exists.
func (w MapWeights) Has(name string) bool { _, ok := w[name]; return ok }

// F32 returns the named tensor (not copied) and its shape.
func (w MapWeights) F32(name string) ([]float32, []int, error) {
	t, ok := w[name]
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %s", name)
	}
	return t.Data, t.Shape, nil
}

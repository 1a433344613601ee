package train

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/steady-ml/steady/safetensors"
)

// WeightsFile is the weights' file name in a checkpoint folder, as HF writes it.
const WeightsFile = "model.safetensors"

// Weights writes and reads a model's weights in a checkpoint folder, in the model's own
// layout (tensor names, tied weights, dtype): the model package decides, not the trainer.
type Weights interface {
	SaveWeights(dir string) error
	LoadWeights(dir string) error
}

// ParamWeights is the Weights of a parameter list: model.safetensors with one F32 tensor per
// Param under its Name.
type ParamWeights []*Param

// SaveWeights writes dir/model.safetensors.
func (ps ParamWeights) SaveWeights(dir string) error {
	tensors := make([]safetensors.Tensor, len(ps))
	for i, p := range ps {
		tensors[i] = safetensors.F32Tensor(p.Name, p.Shape, p.Data)
	}
	return safetensors.Write(filepath.Join(dir, WeightsFile), tensors, map[string]string{"format": "pt"})
}

// LoadWeights reads every parameter from dir/model.safetensors, checking its shape.
func (ps ParamWeights) LoadWeights(dir string) error {
	return readF32s(filepath.Join(dir, WeightsFile), func(get func(string, []int) ([]float32, error)) error {
		for _, p := range ps {
			v, err := get(p.Name, p.Shape)
			if err != nil {
				return err
			}
			copy(p.Data, v)
		}
		return nil
	})
}

// readF32s opens a safetensors file and hands use a getter that reads a tensor by name and
// checks its shape.
func readF32s(path string, use func(get func(name string, shape []int) ([]float32, error)) error) error {
	f, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return use(func(name string, shape []int) ([]float32, error) {
		v, got, err := f.F32(name)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(got, shape) {
			return nil, fmt.Errorf("train: %s: tensor %q has shape %v, want %v", path, name, got, shape)
		}
		return v, nil
	})
}

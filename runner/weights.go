package runner

import (
	"fmt"
	"slices"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/model"
)

// Weights saves a model's weights into checkpoint folders in Hugging Face
// layout (train.Weights): config.json, model.safetensors and, when
// TokenizerJSON is set, tokenizer.json.
type Weights struct {
	Model         model.Exporter
	TokenizerJSON []byte
}

// SaveWeights writes the model into dir with checkpoint.Save.
func (w Weights) SaveWeights(dir string) error {
	return checkpoint.Save(dir, w.Model, w.TokenizerJSON)
}

// LoadWeights copies every parameter from the checkpoint folder dir into the
// model, checking each tensor's shape.
func (w Weights) LoadWeights(dir string) error {
	ck, err := checkpoint.Open(dir)
	if err != nil {
		return err
	}
	defer ck.Close()
	for _, p := range w.Model.Params() {
		data, shape, err := ck.F32(p.Name)
		if err != nil {
			return fmt.Errorf("checkpoint %s: %w", dir, err)
		}
		if !slices.Equal(shape, p.Shape) {
			return fmt.Errorf("checkpoint %s: tensor %s has shape %v, the model's is %v", dir, p.Name, shape, p.Shape)
		}
		copy(p.Data, data)
	}
	return nil
}

package train

import (
	"fmt"
	"strconv"

	"github.com/steady-ml/steady/nn"
	"github.com/steady-ml/steady/safetensors"
)

// OptimizerFile is the optimiser state's file name in a checkpoint folder.
const OptimizerFile = "optimizer.safetensors"

// Save writes the optimiser state to path: for each parameter <name>.exp_avg and
// <name>.exp_avg_sq (F32, the parameter's shape) and <name>.step (F32 scalar, as torch keeps
// it), with the hyperparameters in the metadata.
func (o *AdamW) Save(path string) error {
	var tensors []safetensors.Tensor
	for i, p := range o.params {
		tensors = append(tensors,
			safetensors.F32Tensor(p.Name+".exp_avg", p.Shape, o.m[i]),
			safetensors.F32Tensor(p.Name+".exp_avg_sq", p.Shape, o.v[i]),
			safetensors.F32Tensor(p.Name+".step", []int{}, []float32{float32(o.step)}))
	}
	meta := map[string]string{
		"optimizer":    "AdamW (torch 1.13 single-tensor arithmetic)",
		"step":         strconv.Itoa(o.step),
		"beta1":        strconv.FormatFloat(o.cfg.Beta1, 'g', -1, 64),
		"beta2":        strconv.FormatFloat(o.cfg.Beta2, 'g', -1, 64),
		"eps":          strconv.FormatFloat(o.cfg.Eps, 'g', -1, 64),
		"weight_decay": strconv.FormatFloat(o.cfg.WeightDecay, 'g', -1, 64),
	}
	if o.cfg.Storage != nn.AutocastOff {
		meta["storage"] = o.cfg.Storage.String() // the F32 tensors hold values of this format
	}
	return safetensors.Write(path, tensors, meta)
}

// Load replaces the optimiser state with the one saved at path, which must hold every
// parameter with its shape and one step count.
func (o *AdamW) Load(path string) error {
	return readF32s(path, func(get func(string, []int) ([]float32, error)) error {
		step := -1
		for i, p := range o.params {
			m, err := get(p.Name+".exp_avg", p.Shape)
			if err != nil {
				return err
			}
			v, err := get(p.Name+".exp_avg_sq", p.Shape)
			if err != nil {
				return err
			}
			s, err := get(p.Name+".step", []int{})
			if err != nil {
				return err
			}
			if step >= 0 && int(s[0]) != step {
				return fmt.Errorf("train: %s: %q is at step %g, other parameters at %d", path, p.Name, s[0], step)
			}
			step = int(s[0])
			copy(o.m[i], m)
			copy(o.v[i], v)
		}
		o.step = max(step, 0)
		return nil
	})
}

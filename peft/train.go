package peft

import (
	"fmt"
	"path/filepath"

	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/safetensors"
)

// dropoutStream is the randinit stream the dropout seeds are drawn from;
// New's initial values come from stream 0 of the same seed.
const dropoutStream = 1

// Train puts the adapter in training mode (PEFT's model.train()): every
// layer gets zeroed float32 gradients GradA and GradB of its A's and B's
// shapes, which the model's backward accumulates into, and every Linear
// layer applies Config.Dropout (lora_dropout) to its input, each with its
// own mask seed drawn in module order from seed. Embedding layers take no
// dropout, as in PEFT. Calling Train again zeroes the gradients and draws
// the seeds afresh.
func (a *Adapter) Train(seed uint64) {
	rng := randinit.New(seed, dropoutStream)
	for _, l := range a.Layers {
		if l.Embedding != nil {
			e := l.Embedding
			e.Train, e.GradA, e.GradB = true, make([]float32, len(e.A)), make([]float32, len(e.B))
			continue
		}
		lin := l.Linear
		lin.Train, lin.GradA, lin.GradB = true, make([]float32, len(lin.A)), make([]float32, len(lin.B))
		lin.Dropout, lin.Seed = float32(a.Config.Dropout), rng.Uint64()
	}
}

// SetMicroBatch numbers the dropout masks of the next training forward
// as micro-batch n of the run (nn.LoRA.Forwards), so a run resumed at
// micro-batch n draws the masks an uninterrupted one draws.
func (a *Adapter) SetMicroBatch(n uint64) {
	for _, l := range a.Layers {
		if l.Linear != nil {
			l.Linear.Forwards = n
		}
	}
}

// Eval turns training mode off (PEFT's model.eval()): no dropout, no
// gradients. The gradient buffers are released.
func (a *Adapter) Eval() {
	for _, l := range a.Layers {
		if l.Embedding != nil {
			l.Embedding.Train, l.Embedding.GradA, l.Embedding.GradB = false, nil, nil
			continue
		}
		l.Linear.Train, l.Linear.GradA, l.Linear.GradB = false, nil, nil
	}
}

// Grads lists the gradients of a training adapter under the names and with
// the shapes of Params, one to one and in the same order, sharing the
// buffers the model's backward accumulates into. It is nil unless Train was
// called.
func (a *Adapter) Grads() []model.Param {
	var gs []model.Param
	for _, l := range a.Layers {
		ga, gb := l.grads()
		if ga == nil {
			return nil
		}
		na, nb := l.Names()
		sa, sb := shapes(l.handle, a.Config.R)
		gs = append(gs, model.Param{Name: na, Shape: sa, Data: ga}, model.Param{Name: nb, Shape: sb, Data: gb})
	}
	return gs
}

// grads returns the layer's gradient buffers (nil outside training).
func (l Layer) grads() (a, b []float32) {
	if l.Embedding != nil {
		return l.Embedding.GradA, l.Embedding.GradB
	}
	return l.Linear.GradA, l.Linear.GradB
}

// SaveWeights writes the adapter into dir as Save does, so that an Adapter
// is the train.Weights of a LoRA run: each checkpoint is an adapter folder.
func (a *Adapter) SaveWeights(dir string) error { return Save(dir, a) }

// LoadWeights copies A and B of every layer from dir/adapter_model.safetensors
// into the live adapter, checking each tensor's shape: the resume of a LoRA
// run. The config is not re-read; the run's fingerprint guards it.
func (a *Adapter) LoadWeights(dir string) error {
	path := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range a.Params() {
		v, err := loadTensor(f, p.Name, p.Shape)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		copy(p.Data, v)
	}
	return nil
}

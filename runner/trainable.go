package runner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/train"
)

// Trainable is a model the runner can train.
type Trainable interface {
	model.LM
	model.Exporter
	// NewGrads returns zeroed gradients with the names and shapes of Params.
	NewGrads() []model.Param
	// LossAndGradTargets runs tokens (batch, seq) forward and backward and
	// returns the mean cross-entropy against targets (batch, seq, already
	// shifted; dataset.IgnoreIndex skipped), adding seed·∂loss/∂p to grads.
	// With grads nil the base model is frozen: only the attached adapters in
	// training mode accumulate their gradients (LoRA GradA, GradB).
	LossAndGradTargets(tokens, targets []int32, batch, seq int, seed float32, grads []model.Param) (float64, error)
}

// asTrainable returns m as a Trainable, or an error saying that arch cannot
// be trained.
func asTrainable(arch checkpoint.Arch, m any) (Trainable, error) {
	if t, ok := m.(Trainable); ok {
		return t, nil
	}
	return nil, fmt.Errorf("%s models cannot be trained: no backward pass", arch)
}

// Model adapts a Trainable to train.Model[dataset.Batch].
type Model struct {
	lm      Trainable
	params  []*train.Param
	grads   []model.Param // the model's gradients; nil when it is frozen (LoRA)
	adapter *peft.Adapter // the trained adapter of a LoRA run; nil otherwise
}

// NewModel returns the adapter of lm: one train.Param per gradient of
// lm.NewGrads(), holding the weight of lm.Params() with the same name. A
// weight without a gradient must share its memory with one that has one (a
// tied output head, which some architectures list twice).
func NewModel(lm Trainable) (*Model, error) {
	weights, grads := lm.Params(), lm.NewGrads()
	byName := make(map[string]model.Param, len(weights))
	for _, w := range weights {
		byName[w.Name] = w
	}
	m := &Model{lm: lm, grads: grads, params: make([]*train.Param, len(grads))}
	trained := make(map[*float32]bool, len(grads))
	for i, g := range grads {
		w, ok := byName[g.Name]
		if !ok || !slices.Equal(g.Shape, w.Shape) || len(g.Data) != len(w.Data) {
			return nil, fmt.Errorf("runner: gradient %s %v has no parameter of that name and shape", g.Name, g.Shape)
		}
		m.params[i] = &train.Param{Name: w.Name, Shape: w.Shape, Data: w.Data, Grad: g.Data, NoDecay: noDecay(w.Name)}
		trained[&w.Data[0]] = true
	}
	for _, w := range weights {
		if !trained[&w.Data[0]] {
			return nil, fmt.Errorf("runner: parameter %s has no gradient and is not tied to one that has", w.Name)
		}
	}
	return m, nil
}

// NewAdapterModel returns the adapter of a LoRA run: lm is frozen, and the
// train.Params are the adapter's A and B (a.Params) with the gradients of
// its training mode (a.Grads; a must be in training mode). Step computes no
// base-weight gradient. A and B are decayed by AdamW's weight decay, as HF
// Trainer decays every trainable matrix.
func NewAdapterModel(lm Trainable, a *peft.Adapter) (*Model, error) {
	weights, grads := a.Params(), a.Grads()
	if grads == nil {
		return nil, fmt.Errorf("runner: the adapter is not in training mode (call Train)")
	}
	m := &Model{lm: lm, params: make([]*train.Param, len(weights)), adapter: a}
	for i, w := range weights {
		m.params[i] = &train.Param{Name: w.Name, Shape: w.Shape, Data: w.Data, Grad: grads[i].Data}
	}
	return m, nil
}

// Params lists the parameters in the model's checkpoint order.
func (m *Model) Params() []*train.Param { return m.params }

// SetMicroBatch numbers the adapter's dropout masks by the run's
// micro-batch n (train.MicroBatchSetter), so a resumed LoRA run with
// dropout draws the masks an uninterrupted one draws.
func (m *Model) SetMicroBatch(n int) {
	if m.adapter != nil {
		m.adapter.SetMicroBatch(uint64(n))
	}
}

// Step runs forward and backward on b, adding seed·∂loss/∂p to the
// gradients (the adapter's alone in a LoRA run: grads is nil).
func (m *Model) Step(b dataset.Batch, seed float32) (train.StepStats, error) {
	loss, err := m.lm.LossAndGradTargets(b.Tokens, b.Targets, b.Batch, b.Seq, seed, m.grads)
	return train.StepStats{Loss: loss, Tokens: b.Batch * b.Seq}, err
}

// noDecay reports the tensors mamba_ssm flags _no_weight_decay: A_log and D
// of Mamba and Mamba-2 mixers, and Mamba-2's dt_bias.
func noDecay(name string) bool {
	for _, s := range []string{".A_log", ".D", ".dt_bias"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// Data adapts a dataset.Loader to train.Data[dataset.Batch]. The Batch it
// returns reuses one set of buffers, overwritten by the next call.
type Data struct {
	loader *dataset.Loader
	batch  dataset.Batch
}

// NewData returns the adapter of l.
func NewData(l *dataset.Loader) *Data { return &Data{loader: l} }

// Len is the number of batches in an epoch.
func (d *Data) Len() int { return d.loader.Steps() }

// Batch returns batch i of epoch epoch.
func (d *Data) Batch(epoch, i int) (dataset.Batch, error) {
	err := d.loader.Load(&d.batch, epoch, i)
	return d.batch, err
}

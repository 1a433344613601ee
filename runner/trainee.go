package runner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/train"
)

// trainee is what a run trains: the model, the train.Model over the
// tensors it updates, what its checkpoints save, and the adapter of a LoRA
// run (nil otherwise).
type trainee struct {
	lm      Trainable
	model   *Model
	weights train.Weights
	adapter *peft.Adapter
}

// newTrainee sets lm up in o.Precision and wraps it for training: every
// parameter, or with LoRA a new adapter on the frozen model (its config's
// base_model_name_or_path is baseModel; arch resolves a preset name).
func newTrainee(lm Trainable, arch checkpoint.Arch, baseModel string, tokJSON []byte, o Options) (trainee, error) {
	if err := ApplyPrecision(lm, o.Precision); err != nil {
		return trainee{}, err
	}
	if !o.lora() {
		m, err := NewModel(lm)
		return trainee{lm: lm, model: m, weights: Weights{Model: lm, TokenizerJSON: tokJSON}}, err
	}
	a, err := newAdapter(lm, arch, baseModel, o)
	if err != nil {
		return trainee{}, err
	}
	m, err := NewAdapterModel(lm, a)
	return trainee{lm: lm, model: m, weights: a, adapter: a}, err
}

// newAdapter attaches a new LoRA adapter with o.LoRA's settings to lm,
// initialised and with dropout masks seeded by the run's seed, in training
// mode, and logs what it adapted.
func newAdapter(lm Trainable, arch checkpoint.Arch, baseModel string, o Options) (*peft.Adapter, error) {
	m, ok := lm.(peft.Adaptable)
	if !ok {
		return nil, fmt.Errorf("peft lora: a %s model takes no adapters", arch)
	}
	cfg, err := peft.NewConfig(o.LoRA, string(arch), baseModel)
	if err != nil {
		return nil, fmt.Errorf("peft lora: %w", err)
	}
	a, err := peft.New(cfg, m, o.Train.Seed)
	if err != nil {
		return nil, fmt.Errorf("peft lora: %w", err)
	}
	a.Train(o.Train.Seed)
	logger(o).Info("runner: LoRA", "r", cfg.R, "alpha", cfg.Alpha, "scale", cfg.Scale(), "dropout", cfg.Dropout,
		"targets", cfg.Targets(), "modules", a.Match.Modules, "unmatched_targets", a.Match.Unmatched)
	return a, nil
}

// fingerprint is what a resume must match: the model config, precision,
// PEFT settings and data settings, then the caller's extra entries.
func (t trainee) fingerprint(o Options, extra map[string]string) (map[string]string, error) {
	cfg, err := t.lm.HFConfig()
	if err != nil {
		return nil, err
	}
	f := map[string]string{
		"model_config":   string(cfg),
		"precision":      o.Precision.String(),
		"peft":           PEFTNone,
		"train_files":    strings.Join(o.TrainFiles, "\n"),
		"max_seq_length": strconv.Itoa(o.MaxSeqLen),
	}
	if a := t.adapter; a != nil {
		c := a.Config
		f["peft"] = PEFTLoRA
		f["lora_targets"] = c.Targets()
		f["lora_r"] = strconv.Itoa(c.R)
		f["lora_alpha"] = strconv.FormatFloat(c.Alpha, 'g', -1, 64)
		f["lora_dropout"] = strconv.FormatFloat(c.Dropout, 'g', -1, 64)
		f["use_rslora"] = strconv.FormatBool(c.UseRSLoRA)
	}
	for _, m := range []map[string]string{o.Train.Fingerprint, extra} {
		for k, v := range m {
			f[k] = v
		}
	}
	return f, nil
}

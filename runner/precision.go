package runner

import (
	"fmt"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/nn"
	"github.com/steady-ml/steady/train"
)

// precisionSetter is a model whose matrix products can run under autocast
// (each model package's SetPrecision).
type precisionSetter interface {
	SetPrecision(nn.Autocast)
}

// ApplyPrecision sets lm up to compute in precision p, before training or
// inference: it calls lm.SetPrecision(p.Autocast()), so that every matrix
// product rounds its operands and its output to bf16 or fp16 (fp32 turns
// autocast off), and in the pure modes (bf16-pure, fp16-pure) it also
// rounds every weight lm exports to the half format, as loading the model
// with a half torch_dtype does. Frozen weights (a LoRA run's base model)
// stay rounded; the trainer keeps the weights it trains rounded itself.
// A model without SetPrecision can only run in fp32.
func ApplyPrecision(lm any, p train.Precision) error {
	cast := p.Autocast()
	s, ok := lm.(precisionSetter)
	if !ok {
		if cast == nn.AutocastOff {
			return nil
		}
		return fmt.Errorf("precision %s: a %T computes in fp32 only", p, lm)
	}
	s.SetPrecision(cast)
	if !p.Pure() {
		return nil
	}
	e, ok := lm.(model.Exporter)
	if !ok {
		return fmt.Errorf("precision %s: a %T does not expose its weights to store them in half", p, lm)
	}
	for _, w := range e.Params() {
		// w ← round_half(w): the weight as a half torch_dtype would hold it
		cast.Round(w.Data)
	}
	return nil
}

package train

import (
	"fmt"

	"github.com/steady-ml/steady/nn"
)

// Precision is a run's numeric precision (the --precision flag; DESIGN.md "Precision modes").
// What is rounded where in each mode:
//
//   - FP32 ("fp32"): everything is float32.
//   - BF16, FP16 ("bf16", "fp16"): mixed precision with torch.autocast's semantics. The model
//     (set up by the caller with SetPrecision(p.Autocast())) rounds the operands of its matrix
//     products to the half format (nearest even), accumulates in float32 and rounds each
//     product's output once. Norms, softmax, the loss, the SSM state, A_log and D stay float32.
//     The trainer keeps float32 master weights, float32 gradients and float32 AdamW state.
//   - FP16 adds dynamic loss scaling with torch.cuda.amp.GradScaler's defaults (LossScaler):
//     the loss is scaled by 2^16 to start, a step whose gradients overflow is skipped and the
//     scale halved, the scale doubles after 2000 clean steps.
//   - BF16Pure, FP16Pure ("bf16-pure", "fp16-pure"): as when a model is loaded with a half
//     torch_dtype, the setting the Mamba authors warn about. The model computes as under
//     autocast, and the trainer stores the weights, the gradients and AdamW's exp_avg and
//     exp_avg_sq in the half format: here float32 slices holding half values, rounded after
//     every write (the weights before the first forward and after every update, the
//     gradients before clipping and the update, the moments after every update). An update
//     smaller than half an ulp of its weight is lost. fp16-pure also scales the loss.
//
// bf16 products run on the AVX-512 BF16 GEMM where the CPU has one. fp16 has no fast compute
// path on CPUs: it is fp16's storage and rounding semantics over float32 arithmetic, so it costs
// more than fp32 rather than less.
type Precision uint8

// The precision modes; the zero value is FP32.
const (
	FP32 Precision = iota
	BF16
	FP16
	BF16Pure
	FP16Pure
)

// precisionNames are the modes' names, as the --precision flag spells them.
var precisionNames = [...]string{FP32: "fp32", BF16: "bf16", FP16: "fp16", BF16Pure: "bf16-pure", FP16Pure: "fp16-pure"}

// ParsePrecision returns the mode named s: "fp32" (also ""), "bf16", "fp16", "bf16-pure" or
// "fp16-pure".
func ParsePrecision(s string) (Precision, error) {
	if s == "" {
		return FP32, nil
	}
	for p, name := range precisionNames {
		if s == name {
			return Precision(p), nil
		}
	}
	return FP32, fmt.Errorf("train: unknown precision %q (want fp32, bf16, fp16, bf16-pure or fp16-pure)", s)
}

// String returns the mode's name, as ParsePrecision reads it.
func (p Precision) String() string {
	if !p.valid() {
		return fmt.Sprintf("Precision(%d)", int(p))
	}
	return precisionNames[p]
}

// valid reports whether p is one of the modes.
func (p Precision) valid() bool { return int(p) < len(precisionNames) }

// Autocast returns the format the model computes its matrix products in: AutocastOff for fp32,
// AutocastBF16 for bf16 and bf16-pure, AutocastF16 for fp16 and fp16-pure.
func (p Precision) Autocast() nn.Autocast {
	switch p {
	case BF16, BF16Pure:
		return nn.AutocastBF16
	case FP16, FP16Pure:
		return nn.AutocastF16
	}
	return nn.AutocastOff
}

// Pure reports whether the weights, gradients and optimiser state are stored in the half
// format (bf16-pure, fp16-pure) rather than in float32.
func (p Precision) Pure() bool { return p == BF16Pure || p == FP16Pure }

// LossScaling reports whether the mode needs dynamic loss scaling: fp16 and fp16-pure, whose
// 5-bit exponent flushes small gradients to zero and overflows past 65504.
func (p Precision) LossScaling() bool { return p == FP16 || p == FP16Pure }

// storage is the format the trainer stores weights, gradients and AdamW state in: the half
// format in the pure modes, AutocastOff (float32) otherwise.
func (p Precision) storage() nn.Autocast {
	if p.Pure() {
		return p.Autocast()
	}
	return nn.AutocastOff
}

// MarshalText writes the mode's name (run_config.json's "precision").
func (p Precision) MarshalText() ([]byte, error) {
	if !p.valid() {
		return nil, fmt.Errorf("train: unknown precision %d", int(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText reads a mode's name.
func (p *Precision) UnmarshalText(b []byte) error {
	v, err := ParsePrecision(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

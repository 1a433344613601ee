package main

import (
	"github.com/spf13/pflag"

	"github.com/steady-ml/steady/train"
)

// trainPrecisionUsage and inferPrecisionUsage are the --precision help
// texts: what each mode rounds (DESIGN.md "Precision modes").
const (
	trainPrecisionUsage = `numeric precision: fp32 (everything float32); bf16, fp16 (autocast: matrix-product inputs and outputs rounded to half, ` +
		`float32 accumulation, float32 master weights, gradients and AdamW state; norms, softmax, loss, SSM state, A_log, D stay float32; ` +
		`fp16 adds dynamic loss scaling); bf16-pure, fp16-pure (as bf16/fp16, and the weights, gradients and AdamW state are stored in half)`
	inferPrecisionUsage = `numeric precision: fp32 (everything float32); bf16, fp16 (autocast: matrix-product inputs and outputs rounded to half, ` +
		`float32 accumulation; norms, softmax and the SSM state stay float32); bf16-pure, fp16-pure (as bf16/fp16, and the weights are rounded to half)`
)

// precisionFlag is a --precision flag value, parsed by train.ParsePrecision.
type precisionFlag struct{ p *train.Precision }

// addPrecisionFlag registers --precision (default fp32) into p.
func addPrecisionFlag(f *pflag.FlagSet, p *train.Precision, usage string) {
	f.Var(precisionFlag{p}, "precision", usage)
}

// String is the mode's name.
func (f precisionFlag) String() string {
	if f.p == nil {
		return train.FP32.String()
	}
	return f.p.String()
}

// Set parses a mode's name.
func (f precisionFlag) Set(s string) error {
	p, err := train.ParsePrecision(s)
	if err != nil {
		return err
	}
	*f.p = p
	return nil
}

// Type names the flag's values in the usage text.
func (precisionFlag) Type() string { return "fp32|bf16|fp16|bf16-pure|fp16-pure" }

// precisionHelp explains --precision in the long help of pretrain and finetune.
const precisionHelp = `
Precision: fp32 computes everything in float32. bf16 and fp16 are mixed
precision as torch.autocast does it: the inputs and the output of every
matrix product are rounded to bf16 or fp16 (float32 accumulation), while
norms, softmax, the loss, the SSM state, A_log and D stay float32 and the
weights, gradients and AdamW state are float32 masters; fp16 adds dynamic
loss scaling (a step whose gradients overflow is skipped). bf16-pure and
fp16-pure also store the weights, gradients and AdamW state in half, as a
model loaded with a half torch_dtype does: updates below half an ulp are lost.`

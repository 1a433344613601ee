package mamba2

import "github.com/steady-ml/steady/nn"

// SetPrecision sets the autocast format of Forward (parallel, chunked and
// recurrent decode) and LossAndGrad*: nn.AutocastOff computes in float32,
// nn.AutocastBF16 and nn.AutocastF16 follow torch's CPU autocast for this
// model (DESIGN.md "Precision modes"; the op trace of Mamba-2 in
// shared/fixtures/README.md, in its clean variant):
//
//   - half, computed in float32 from half operands and rounded once: the
//     products of in_proj, out_proj and the LM head (so the logits), the conv
//     (its weight and bias rounded too), the SiLU after it, the SSD output
//     and the gated norm's output;
//   - float32: the embedding lookup, the residual stream, both RMSNorms, the
//     SSD's inside (state and contractions, as mamba_ssm's fused kernel),
//     Δ = softplus(dt + dt_bias), A = −exp(A_log), D, the cross-entropy on
//     the half logits, and every master weight and gradient.
//
// In the backward the gradient of each half tensor is half: rounded once
// where it is produced (the logits' and the mixer output's where they meet
// float32 code), and a parameter's half gradient is accumulated exactly
// into its float32 master gradient. It sets the Cast of every nn.Linear and
// of the embedding, so adapters attached through Modules follow it.
func (m *Model) SetPrecision(c nn.Autocast) {
	m.cast = c
	m.Embedding.Cast, m.LMHead.Cast = c, c
	for i := range m.Blocks {
		mx := &m.Blocks[i].Mixer
		mx.cast, mx.InProj.Cast, mx.OutProj.Cast = c, c, c
	}
}

// Precision returns the autocast format SetPrecision set (AutocastOff for a
// new model).
func (m *Model) Precision() nn.Autocast { return m.cast }

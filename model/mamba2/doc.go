// Package mamba2 is the Mamba-2 language model (Dao & Gu 2024, "Transformers
// are SSMs: Generalized Models and Efficient Algorithms Through Structured
// State Space Duality"), as mamba_ssm's MambaLMHeadModel with Mamba2 mixers
// computes it: config, blocks, decode state and the checkpoint name table. It
// reads both checkpoint layouts (mamba_ssm and HF transformers Mamba2) and
// does no I/O.
//
// The forward follows mamba_ssm, not HF transformers ≤ v4.44, whose pure-torch
// Mamba2 path passes the inter-chunk states along the wrong axis and clamps Δ
// at time_step_min (see shared/fixtures/README.md). HF v4.44 also normalises
// the gated RMSNorm over all of d_inner whatever n_groups is; here the norm
// is grouped (group size d_inner/ngroups) as in mamba_ssm, which the HF
// checkpoints were converted from. The two agree when ngroups is 1.
//
// Prefill (seq > 1) runs the chunked SSD of nn.SSDChunked on GEMMs, chunk size
// from the config; decoding (seq = 1) runs the recurrence nn.SSDRecurrent.
// Both continue from a *State, so a sequence may be fed in pieces of any size.
//
// Training (train.go, backward.go): LossAndGrad and LossAndGradTargets run
// the forward from a zero state, keeping each layer's activations (in_proj
// output, conv output before SiLU, xBC, Δ, Δ·A, SSD output, gated-norm output
// and both norms' 1/rms), then the backward layer by layer with the nn
// backwards, the SSD through nn.SSDChunkedBackward at the config's chunk
// size. Gradients are float32 and accumulate (+=) into NewGrads' tensors,
// which list a tied lm_head once, inside the embedding's gradient.
//
// Glossary (Go name ↔ paper symbol ↔ checkpoint tensor under backbone.layers.{i}.):
//
//	Config.DModel        D        d_model / hidden_size
//	Config.DInner()      ED       d_inner = expand·d_model = nheads·headdim
//	Config.NHeads()      H        nheads
//	Config.HeadDim       P        headdim
//	Config.NGroups       G        ngroups (heads sharing B, C)
//	Config.DState        N        d_state
//	Config.DConv         W        d_conv (conv width)
//	Config.ChunkSize     Q        chunk_size
//	Block.Norm           —        norm.weight (D)
//	Mixer.InProj         W_in     mixer.in_proj.weight (2·ED + 2·G·N + H, D), rows [z | x | B | C | dt]
//	Mixer.Conv           conv1d   mixer.conv1d.weight (ED + 2·G·N, 1, W), mixer.conv1d.bias
//	Mixer.DtBias         —        mixer.dt_bias (H); Δ = softplus(dt + dt_bias)
//	Mixer.ALog           log(−A)  mixer.A_log (H); A = −exp(A_log), a scalar per head
//	Mixer.D              D        mixer.D (H), or (ED) with D_has_hdim
//	Mixer.Norm           —        mixer.norm.weight (ED), gated RMSNorm, group size ED/G
//	Mixer.OutProj        W_out    mixer.out_proj.weight (D, ED)
//	Model.Embedding      —        backbone.embedding.weight (HF: backbone.embeddings.weight)
//	Model.NormF          —        backbone.norm_f.weight
//	Model.LMHead         —        lm_head.weight, or the embedding when tied
//	State.Conv[i]        —        conv_state (batch, ED + 2·G·N, W)
//	State.SSM[i]         h        ssm_state (batch, H, P, N)
//
// Precision: weights, gradients, the residual stream and the states are
// float32; a half-precision checkpoint is widened on load by model.Weights.
// Model.SetPrecision selects torch-style autocast (bf16 or f16): the outputs
// of the products, the conv, the SiLU, the SSD and the gated norm are then
// rounded to the half format once each, forward and backward (precision.go,
// Mixer).
package mamba2

// Package mamba is the Mamba-1 language model (Gu & Dao 2023, "Mamba:
// Linear-Time Sequence Modeling with Selective State Spaces"): mamba_ssm's
// MambaLMHeadModel with Mamba mixers and RMSNorm blocks, which is also HF
// transformers' MambaForCausalLM. It reads configs in both formats
// (ParseConfig), loads weights in both naming layouts through one name table
// (names.go), runs the parallel forward and continues decode states in chunks
// of any length.
//
// Forward, per token (mamba_ssm models/mixer_seq_simple.py, modules/block.py,
// modules/mamba_simple.py):
//
//	residual = E[token]                                  embedding, float32
//	for each layer:
//	    h        = RMSNorm(residual)                     norm_out
//	    [x | z]  = h·W_inᵀ
//	    u        = SiLU(conv1d(x))                       causal, depthwise
//	    [δ|B|C]  = u·W_xᵀ ;  δ = δ·W_Δᵀ
//	    y        = S6(u, softplus(δ + b_Δ), A, B, C, D) · SiLU(z)
//	    residual = residual + y·W_outᵀ                   mixer_out, residual_out
//	logits = RMSNorm_f(residual)·Eᵀ                      tied head
//
// Glossary (Go name ↔ paper symbol ↔ checkpoint tensor under backbone.layers.i.):
//
//	embed        E        backbone.embedding.weight (HF: backbone.embeddings.weight)   (vocab, d_model)
//	block.norm   γ        norm.weight                                                 (d_model)
//	inProj       W_in     mixer.in_proj.weight                                        (2·d_inner, d_model)
//	conv         conv1d   mixer.conv1d.weight, .bias                                  (d_inner, 1, d_conv)
//	xProj        s_B, s_C, s_Δ (Algorithm 2)  mixer.x_proj.weight                     (R + 2N, d_inner)
//	dtProj       W_Δ, τ_Δ's bias  mixer.dt_proj.weight, .bias                         (d_inner, R)
//	scan.A       A = −exp(A_log)  mixer.A_log                                         (d_inner, N)
//	scan.D       D        mixer.D                                                     (d_inner)
//	outProj      W_out    mixer.out_proj.weight                                       (d_model, d_inner)
//	normF        γ_f      backbone.norm_f.weight                                      (d_model)
//	lmHead       Eᵀ       lm_head.weight (tied to E unless tie_embeddings is false)   (vocab, d_model)
//	DState N, DtRank R, DInner d_inner = expand·d_model, DConv d_conv.
//
// Precision: weights (master values), the residual stream, the SSM and conv
// states are float32. By default every activation is float32 too;
// SetPrecision switches on PyTorch autocast semantics in bf16 or f16 (which
// ops round to half and which stay float32 is listed there, and at each op
// in mixer.go and backward.go): values stay in float32 slices, and a "half"
// tensor is one whose every value is a half value.
//
// Training: LossAndGrad and LossAndGradTargets run the forward and the
// explicit backward (backward.go, the maths of each step beside it). With a
// nil gradient list the base is frozen and only the LoRA adapters attached
// through Modules (every Linear and the embedding take one) receive
// gradients.
package mamba

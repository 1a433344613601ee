// Package train fine-tunes a model: AdamW with PyTorch 1.13's arithmetic, HF transformers'
// learning-rate schedules, gradient clipping and accumulation, dynamic loss scaling, a guard
// against non-finite losses and gradients, run folders laid out as HF Trainer lays them out
// (checkpoint-<step>/, trainer_state.json, save_total_limit rotation, resume), metrics.jsonl and
// TensorBoard event files.
//
// # What the trainer sees of a model
//
// A model is a list of [Param] (fp32 master weights and their gradients) and a Step that runs
// forward and backward on one micro-batch, adding seed·∂loss/∂p into every Param.Grad (the
// gradient convention of package nn: parameter gradients accumulate). The trainer zeroes the
// gradients before each optimiser step, so Step never has to. The seed folds in what HF Trainer
// does to the loss before backward: the division by the number of accumulated micro-batches and
// the GradScaler's multiplication by the loss scale.
//
// # One optimiser step
//
//	for each of GradAccum micro-batches:  loss_i, grads += Step(batch, seed = scale/GradAccum)
//	pure modes: grads ← round(grads) to the half format (the .grad of a half parameter)
//	loss scaling on:  grads *= 1/scale; any non-finite → skip the update and the schedule step,
//	                  scale *= ½; MaxSkippedSteps skipped in a row → stop (OverflowError)
//	non-finite loss or gradient (no loss scaling) → stop; the last checkpoint stays the last good one
//	grad_norm = ‖(‖g_p‖₂)_p‖₂;  MaxGradNorm > 0: grads *= min(1, MaxGradNorm/(grad_norm+1e-6))
//	AdamW step with lr = LR·λ(n) for the update after n updates   (λ: the schedule, as torch's
//	    LambdaLR applies it; HF Trainer steps it only when the optimiser step ran)
//	pure modes: weights, exp_avg, exp_avg_sq ← round(…) to the half format
//
// # Precision
//
// Options.Precision picks fp32, mixed bf16/fp16 (autocast in the model, float32 master weights,
// gradients and AdamW state here) or pure bf16/fp16 (weights, gradients and AdamW state stored
// as half values here); fp16 and fp16-pure scale the loss. [Precision] says what is rounded
// where. The weights enter a pure run rounded to the half format, before the first forward.
//
// # Bit-exactness
//
// The reference is torch 1.13.1 on CPU (Debian's build, whose kernels ran at AVX2 width with
// GCC contracting a·b + c into fused multiply-adds). Where PyTorch computes a Python float64
// scalar and applies it to an fp32 tensor, this package does the same: scalars in float64
// (x**n and cos correctly rounded, as glibc returns them), each rounded to float32 where
// torch's kernel casts it, each tensor operation rounded where the kernel rounds, fused where
// the kernel is fused (fma32). adamw.go and clip.go list each rounding next to its line. Go may
// itself fuse x*y+z; every product torch rounds before an addition is therefore wrapped in an
// explicit conversion, which the Go specification says prevents fusion. The AdamW update runs
// those roundings vectorised in C (adamw.c, with hardware fused multiply-adds), bit for bit as
// its Go twin, which the purego build runs.
//
// Checked against the reference's train_steps fixtures, bit for bit: the parameter groups, the
// global gradient norm (8-lane fused fp32 sums: no other width or rounding matches), and the
// weight-decay multiply (rows of GPT-NeoX's input embedding that see no gradient). The moment
// updates' fused multiply-adds follow from the same build's kernels; the op order of a whole
// update is pinned on hand-computed values. An end-to-end check of all ten steps needs the
// models' backward passes.
//
// # Where this differs from HF Trainer
//
//   - The micro-batches form one stream across epochs, so an accumulation window may span the
//     end of an epoch; HF ends each epoch with a shorter window.
//   - metrics.jsonl and log_history carry the learning rate the logged step used (HF logs the
//     next step's) and losses unrounded (HF rounds to 4 digits).
//   - Every parameter always has a gradient, so one unused in a step is still decayed; torch
//     skips parameters whose .grad is None.
//   - fp16-pure scales the loss and unscales its fp16 gradients in fp16, as GradScaler's
//     unscale_ does with allow_fp16; HF Trainer's GradScaler refuses fp16 gradients
//     ("Attempting to unscale FP16 gradients"). The pure modes' AdamW rounds its three stored
//     results, not each intermediate tensor torch's half ops would round.
//
// # Run folders
//
//	output_dir/
//	  checkpoint-<step>/        written as checkpoint-<step>.tmp/, then renamed
//	    model.safetensors       the weights, in the caller's layout (Options.Weights)
//	    optimizer.safetensors   exp_avg, exp_avg_sq and step of every parameter
//	    scheduler.json          the LambdaLR state
//	    scaler.json             the loss scaler (when loss scaling is on): scale, skipped steps
//	    rng_state.json          seed and data position
//	    run_config.json         every setting that must match to resume
//	    trainer_state.json      HF Trainer's schema: global_step, log_history, best_metric…
//	  metrics.jsonl             one JSON object per logged step
//	  events.out.tfevents.*     TensorBoard scalars
package train

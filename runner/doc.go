// Package runner joins models, data and the trainer into the two runs the CLI
// offers: Pretrain (a fresh model of an architecture and size preset, on
// packed plain text) and Finetune (a checkpoint, on instruction data).
//
// # What a model needs to be trained
//
// A model is trained when it satisfies Trainable: it exports its parameters
// under their Hugging Face names (model.Exporter), makes zeroed gradients of
// the same names and shapes, and computes the masked mean cross-entropy of a
// dataset.Batch with its gradient scaled by a seed (see
// neox.Model.LossAndGradTargets). The check is a type assertion, so an
// architecture becomes trainable by gaining those methods, with no change
// here; Mamba, Mamba-2 and GPT-NeoX all have them.
//
// # Adapters
//
// Model adapts a Trainable to train.Model[dataset.Batch]: one train.Param per
// exported tensor, sharing the model's live weights, with a gradient buffer
// beside it. mamba_ssm's no-weight-decay parameters (A_log, D, dt_bias) are
// marked NoDecay by name. Data adapts a dataset.Loader to
// train.Data[dataset.Batch]. Weights saves each checkpoint-<step> folder in
// Hugging Face layout (config.json, model.safetensors, tokenizer.json), so a
// checkpoint is also a model folder that checkpoint.Load, `steady generate`
// and transformers' from_pretrained read.
//
// # Precision and PEFT
//
// Options.Precision is a train.Precision: fp32, bf16 and fp16 (autocast
// with float32 master weights; fp16 with dynamic loss scaling), bf16-pure
// and fp16-pure (weights, gradients and AdamW state stored in half).
// ApplyPrecision sets the model up (SetPrecision(p.Autocast()), and in the
// pure modes rounds every weight to half); the trainer gets the same
// Precision and handles loss scaling, skipped steps and the pure-half
// rounding of what it trains. The CLI's forward, eval and generate call
// ApplyPrecision too.
//
// Options.PEFT "lora" (Finetune only) attaches a new peft adapter built
// from Options.LoRA (targets or a preset, r, alpha, dropout, rsLoRA),
// initialised and dropout-seeded by Train.Seed, and trains only its A and B
// (NewAdapterModel): the model's LossAndGradTargets gets nil gradients, so
// the base weights are frozen and no base gradient is computed. A and B are
// decayed by WeightDecay, as HF Trainer decays every trainable matrix.
// Each checkpoint is then a PEFT adapter folder (the Adapter is the
// train.Weights), and a resume restores the adapter from it. The
// fingerprint a resume must match holds the precision and the LoRA
// settings. The dropout masks are numbered by the run's micro-batch
// (train.MicroBatchSetter), so a resumed run with lora_dropout > 0 ends bit
// for bit where an uninterrupted one does.
package runner

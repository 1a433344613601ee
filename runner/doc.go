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
// Only fp32 full-parameter training exists for now: Options.Precision must
// be "fp32" and Options.PEFT "none" (or empty), and other values are refused
// by name rather than silently trained in fp32.
package runner

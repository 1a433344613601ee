// Package peft reads, writes, creates and merges LoRA adapters in Hugging
// Face PEFT's format (v0.11): an adapter folder holds adapter_config.json
// (PEFT's LoraConfig) and adapter_model.safetensors, whose tensor names are
// the base model's module paths under "base_model.model." with
// ".lora_A.weight" (r, in) / ".lora_B.weight" (out, r) for a Linear, or
// ".lora_embedding_A" (r, vocab) / ".lora_embedding_B" (dim, r) for an
// Embedding.
//
// An adapter adds s·B·A·x to a Linear's output and s·A[:, t]ᵀ·Bᵀ to an
// embedding row, s = α/r (α/√r with rsLoRA); nn.LoRA and nn.EmbeddingLoRA
// compute it as two thin GEMMs, and the model's own Forward applies it
// while the adapter is attached. The base weights stay frozen: the
// adapter's A and B (Adapter.Params) are its only parameters.
//
// Module paths are the Hugging Face ones each model package lists in
// Modules (backbone.layers.0.mixer.x_proj, gpt_neox.layers.1.attention.dense,
// …). Targets match them as PEFT's check_target_module_exists does: a list
// entry matches a path equal to it or ending in "." + entry, a regex must
// match the whole path. Targets that reach a norm, a conv1d or a Linear the
// model marks Unsupported (nn.Module) are errors rather than silently
// skipped, as is a rank above a matched module's min(in, out).
//
// Load attaches an adapter PEFT saved, New a freshly initialised one (PEFT's
// init: the adapted model starts equal to the base), Save writes one back,
// and Merge folds one into the base weights (PEFT merge_and_unload) so that
// checkpoint.Save exports a plain model. Merging unties a tied embedding and
// LM head first, so the merged model computes what the adapted one did; PEFT
// v0.11 writes the merged table into the shared parameter instead, which
// also changes the LM head.
//
// Training: NewConfig builds the LoraConfig of a new adapter from a user's
// settings (targets or a preset name, r, α, dropout, rsLoRA); Train puts an
// adapter in training mode (zeroed float32 GradA/GradB on every layer,
// lora_dropout on the Linear inputs), Grads lists those gradients paired one
// to one with Params, and Eval turns training off. An Adapter is also the
// train.Weights of a LoRA run (SaveWeights writes an adapter folder,
// LoadWeights restores A and B from one), so every checkpoint of such a run
// is an adapter folder PEFT reads.
//
// Preset names the paper's target sets (lora-subset, lora-all) per
// architecture; for Mamba-2, which has no x_proj, lora-subset is in_proj.
package peft

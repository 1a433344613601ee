// Package peft reads and writes LoRA adapters in Hugging Face PEFT's format:
// an adapter folder holds adapter_config.json (PEFT's LoraConfig) and
// adapter_model.safetensors, whose tensor names are the base model's module
// names under "base_model.model." with ".lora_A.weight" / ".lora_B.weight"
// (Linear) or ".lora_embedding_A" / ".lora_embedding_B" (Embedding).
//
// A LoRA module adds (α/r)·B·A·x to a Linear's output (α/√r with rsLoRA).
package peft

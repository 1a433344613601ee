// Package checkpoint maps a checkpoint folder (config.json plus
// model.safetensors or a sharded model.safetensors.index.json) to a model:
// it recognises the architecture (mamba, mamba2, gpt_neox) and the tensor
// naming layout (Hugging Face transformers or the original mamba_ssm), and
// serves the weights to the architecture packages as float32, whatever dtype
// the file stores them in.
//
// The architecture packages own their configs and tensor-name tables; this
// package only decides which one to call.
package checkpoint

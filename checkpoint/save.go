package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/steady-ml/steady/internal/atomicfile"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/safetensors"
)

// Save writes m into dir in Hugging Face layout: config.json and
// model.safetensors (sharded as save_pretrained shards), each file atomically, plus
// tokenizerJSON as tokenizer.json when given. transformers'
// from_pretrained reads the result.
func Save(dir string, m model.Exporter, tokenizerJSON []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	cfg, err := m.HFConfig()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	params := m.Params()
	tensors := make([]safetensors.Tensor, len(params))
	for i, p := range params {
		tensors[i] = safetensors.F32Tensor(p.Name, p.Shape, p.Data)
	}
	if _, err := safetensors.WriteSharded(dir, tensors, safetensors.ShardOptions{}); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "config.json"), cfg); err != nil {
		return err
	}
	if tokenizerJSON != nil {
		return atomicfile.WriteFile(filepath.Join(dir, "tokenizer.json"), tokenizerJSON)
	}
	return nil
}

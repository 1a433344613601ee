package checkpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/steady-ml/steady/internal/pyjson"
	"github.com/steady-ml/steady/safetensors"
)

// Layout says which program's tensor names a checkpoint uses.
type Layout string

// The tensor-name layouts steady reads.
const (
	LayoutHF       Layout = "hf"        // Hugging Face transformers (backbone.embeddings, gpt_neox.*)
	LayoutMambaSSM Layout = "mamba_ssm" // state-spaces/mamba (backbone.embedding, lm_head)
)

// Checkpoint is an opened checkpoint folder.
type Checkpoint struct {
	Dir          string
	Arch         Arch
	ConfigFormat ConfigFormat
	Layout       Layout
	// Config is config.json with Python's non-finite tokens made valid JSON.
	Config  []byte
	tensors *safetensors.Set
}

// Open reads dir/config.json and the weights beside it.
func Open(dir string) (*Checkpoint, error) {
	cfgPath := filepath.Join(dir, "config.json")
	raw, err := os.ReadFile(cfgPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a checkpoint folder: it has no config.json (a checkpoint holds config.json and model.safetensors)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	cfg := pyjson.Sanitize(raw)
	arch, format, err := DetectArch(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfgPath, err)
	}
	st, err := openWeights(dir)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Dir: dir, Arch: arch, ConfigFormat: format, Config: cfg, tensors: st}
	c.Layout = detectLayout(arch, st.Names())
	return c, nil
}

// openWeights opens the folder's safetensors (one file or a sharded index),
// explaining what to do when the folder only has a PyTorch pickle.
func openWeights(dir string) (*safetensors.Set, error) {
	set, err := safetensors.OpenDir(dir)
	if err == nil {
		return set, nil
	}
	bin := filepath.Join(dir, "pytorch_model.bin")
	if _, perr := os.Stat(bin); perr == nil {
		return nil, fmt.Errorf("checkpoint %s has only pytorch_model.bin: convert it first with `steady convert --input %s --output %s`",
			dir, bin, filepath.Join(dir, "model.safetensors"))
	}
	return nil, err
}

// detectLayout tells HF from mamba_ssm names by the embedding's name.
func detectLayout(arch Arch, names []string) Layout {
	if arch == NeoX {
		return LayoutHF
	}
	for _, n := range names {
		if n == "backbone.embedding.weight" {
			return LayoutMambaSSM
		}
	}
	return LayoutHF
}

// Names returns the tensor names in sorted order.
func (c *Checkpoint) Names() []string { return c.tensors.Names() }

// Has reports whether the named tensor exists.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.tensors.Info(name)
	return ok
}

// F32 returns the named tensor as float32 with its shape, converting from
// the stored dtype.
func (c *Checkpoint) F32(name string) ([]float32, []int, error) { return c.tensors.F32(name) }

// Close releases the weights.
func (c *Checkpoint) Close() error { return c.tensors.Close() }

// configInt reads the first of the given integer fields present in config.json.
func (c *Checkpoint) configInt(keys ...string) (int, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Config, &m) != nil {
		return 0, false
	}
	for _, k := range keys {
		var v int
		if raw, ok := m[k]; ok && json.Unmarshal(raw, &v) == nil {
			return v, true
		}
	}
	return 0, false
}

// configBool reads a boolean field of config.json, with a default when absent.
func (c *Checkpoint) configBool(key string, def bool) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(c.Config, &m) != nil {
		return def
	}
	var v bool
	if raw, ok := m[key]; ok && json.Unmarshal(raw, &v) == nil {
		return v
	}
	return def
}

// tensorPrefixCount counts distinct values of the path component after prefix
// (e.g. layer indices after "backbone.layers.").
func tensorPrefixCount(names []string, prefix string) int {
	seen := map[string]bool{}
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, prefix); ok {
			idx, _, _ := strings.Cut(rest, ".")
			seen[idx] = true
		}
	}
	return len(seen)
}

package peft

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/steady-ml/steady/nn"
	"github.com/steady-ml/steady/safetensors"
)

// Load reads the adapter PEFT's save_pretrained wrote to dir
// (adapter_config.json, adapter_model.safetensors) and attaches it to m.
//
// The config's targets are matched against m's modules as PEFT matches them;
// every matched module must have its A and B in the file with the shapes
// the base model implies (A (r, in), B (out, r); for an embedding A (r,
// vocab), B (dim, r)), and every tensor in the file must belong to a matched
// module, which refuses an adapter made for another base model: another
// architecture (auto_mapping.base_model_class), other widths (shapes) or
// other depths (missing or extra tensors). Errors name the file and tensor
// or module, and base_model_name_or_path; on error nothing is attached.
func Load(dir string, m Adaptable) (*Adapter, error) {
	c, err := ReadConfig(dir)
	if err != nil {
		return nil, err
	}
	if _, err := checkArch(c, m); err != nil {
		return nil, fmt.Errorf("adapter %s: %w", dir, err)
	}
	mods := m.Modules()
	match, err := MatchTargets(c, mods)
	if err != nil {
		return nil, fmt.Errorf("adapter %s: %w", dir, err)
	}
	path := filepath.Join(dir, WeightsFile)
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := &Adapter{Config: c, Match: match}
	read := map[string]bool{}
	for _, name := range match.Modules {
		l, err := loadLayer(f, c, name, mods[name], read)
		if err != nil {
			return nil, fmt.Errorf("%s: %w%s", path, err, madeFor(c))
		}
		a.Layers = append(a.Layers, l)
	}
	names := f.Names()
	slices.Sort(names)
	for _, n := range names {
		if !read[n] {
			return nil, fmt.Errorf("%s: tensor %s belongs to no module the targets %s match%s", path, n, c.Targets(), madeFor(c))
		}
	}
	if err := a.attach(); err != nil {
		return nil, fmt.Errorf("adapter %s: %w", dir, err)
	}
	return a, nil
}

// loadLayer reads module name's A and B from f, checking their shapes, and
// marks the tensors read.
func loadLayer(f *safetensors.File, c Config, name string, mod nn.Module, read map[string]bool) (Layer, error) {
	l := Layer{Module: name}
	if mod.Kind == nn.KindEmbedding {
		l.Embedding = &nn.EmbeddingLoRA{}
	}
	na, nb := l.Names()
	sa, sb := shapes(mod, c.R)
	av, err := loadTensor(f, na, sa)
	if err != nil {
		return l, err
	}
	bv, err := loadTensor(f, nb, sb)
	if err != nil {
		return l, err
	}
	read[na], read[nb] = true, true
	return newLayer(c, name, mod, av, bv)
}

// loadTensor reads the named tensor as float32 and checks its shape.
func loadTensor(f *safetensors.File, name string, shape []int) ([]float32, error) {
	info, ok := f.Info(name)
	if !ok {
		return nil, fmt.Errorf("missing tensor %s (shape %v)", name, shape)
	}
	if !slices.Equal(info.Shape, shape) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v for this base model", name, info.Shape, shape)
	}
	data, _, err := f.F32(name)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// madeFor names the base model an adapter was made for, for an error that
// suggests the adapter is being loaded onto another one.
func madeFor(c Config) string {
	if c.BaseModel == "" {
		return ""
	}
	return fmt.Sprintf(" (the adapter was made for base model %s)", c.BaseModel)
}

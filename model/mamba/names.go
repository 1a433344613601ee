package mamba

import "fmt"

// The one table from parameters to checkpoint tensor names. Both layouts use
// the same names except the embedding, so each entry lists the mamba_ssm
// name first and the HF transformers name after it when it differs. Per-layer
// names are formatted with the layer index.
var (
	nameEmbedding = []string{"backbone.embedding.weight", "backbone.embeddings.weight"}
	nameNormF     = []string{"backbone.norm_f.weight"}
	nameLMHead    = []string{"lm_head.weight"}
)

// Per-layer tensor names, relative to "backbone.layers.<i>.".
const (
	nameNorm       = "norm.weight"
	nameInProj     = "mixer.in_proj.weight"
	nameInProjB    = "mixer.in_proj.bias"
	nameConv       = "mixer.conv1d.weight"
	nameConvB      = "mixer.conv1d.bias"
	nameXProj      = "mixer.x_proj.weight"
	nameDtProj     = "mixer.dt_proj.weight"
	nameDtProjB    = "mixer.dt_proj.bias"
	nameALog       = "mixer.A_log"
	nameD          = "mixer.D"
	nameOutProj    = "mixer.out_proj.weight"
	nameOutProjB   = "mixer.out_proj.bias"
	layerNameStart = "backbone.layers.%d."
)

// layerName is the checkpoint name of a per-layer tensor.
func layerName(i int, rel string) []string {
	return []string{fmt.Sprintf(layerNameStart, i) + rel}
}

// weightsReader loads tensors by the table's names and checks their shapes;
// the first error names the tensor.
type weightsReader struct {
	w interface {
		F32(string) ([]float32, []int, error)
		Has(string) bool
	}
}

// find returns the first of names that the checkpoint holds, or "".
func (r weightsReader) find(names []string) string {
	for _, n := range names {
		if r.w.Has(n) {
			return n
		}
	}
	return ""
}

// load returns the tensor under one of names, checking it has the given shape.
func (r weightsReader) load(names []string, shape ...int) ([]float32, error) {
	name := r.find(names)
	if name == "" {
		if len(names) > 1 {
			return nil, fmt.Errorf("mamba weights: missing tensor %s (or %q)", names[0], names[1:])
		}
		return nil, fmt.Errorf("mamba weights: missing tensor %s", names[0])
	}
	data, got, err := r.w.F32(name)
	if err != nil {
		return nil, fmt.Errorf("mamba weights: tensor %s: %w", name, err)
	}
	if !sameShape(got, shape) || len(data) != product(shape) {
		return nil, fmt.Errorf("mamba weights: tensor %s has shape %v, want %v", name, got, shape)
	}
	return data, nil
}

// loadOptional is load for a tensor that may be absent (nil, nil then).
func (r weightsReader) loadOptional(names []string, shape ...int) ([]float32, error) {
	if r.find(names) == "" {
		return nil, nil
	}
	return r.load(names, shape...)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func product(shape []int) int {
	p := 1
	for _, s := range shape {
		p *= s
	}
	return p
}

package peft

import (
	"fmt"
	"math"
	"strings"

	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/model/mamba"
	"github.com/steady-ml/steady/model/mamba2"
	"github.com/steady-ml/steady/model/neox"
	"github.com/steady-ml/steady/nn"
)

// keyPrefix is what PEFT's PeftModel puts before a module path in an
// adapter's tensor names.
const keyPrefix = "base_model.model."

// Adapter is a LoRA adapter attached to a live model: one low-rank pair per
// matched module, frozen base weights. Its A and B slices are the trainable
// parameters (Params); the model's Forward applies them while attached.
type Adapter struct {
	Config Config
	Match  Match   // the matched modules and the targets that matched nothing
	Layers []Layer // one per matched module, sorted by module path
}

// Layer is the adapter of one module: Linear or Embedding is set.
type Layer struct {
	Module    string            // HF module path, e.g. backbone.layers.0.mixer.x_proj
	Linear    *nn.LoRA          // A: (r, in), B: (out, r)
	Embedding *nn.EmbeddingLoRA // A: (r, vocab), B: (dim, r)
	handle    nn.Module
}

// Names returns the PEFT tensor names of the layer's A and B.
func (l Layer) Names() (a, b string) {
	if l.Embedding != nil {
		return keyPrefix + l.Module + ".lora_embedding_A", keyPrefix + l.Module + ".lora_embedding_B"
	}
	return keyPrefix + l.Module + ".lora_A.weight", keyPrefix + l.Module + ".lora_B.weight"
}

// shapes returns the shapes A and B must have for a rank-r LoRA on mod:
// Linear A (r, in), B (out, r); Embedding A (r, vocab), B (dim, r).
func shapes(mod nn.Module, r int) (a, b []int) {
	return []int{r, mod.In}, []int{mod.Out, r}
}

// Params lists the adapter's tensors under their PEFT names, sharing the
// live values: A then B of each layer, in module order.
func (a *Adapter) Params() []model.Param {
	var ps []model.Param
	for _, l := range a.Layers {
		na, nb := l.Names()
		sa, sb := shapes(l.handle, a.Config.R)
		va, vb := l.values()
		ps = append(ps, model.Param{Name: na, Shape: sa, Data: va}, model.Param{Name: nb, Shape: sb, Data: vb})
	}
	return ps
}

// values returns the layer's A and B.
func (l Layer) values() (a, b []float32) {
	if l.Embedding != nil {
		return l.Embedding.A, l.Embedding.B
	}
	return l.Linear.A, l.Linear.B
}

// New attaches a freshly initialised adapter for c to m, initialised as
// PEFT's LoraLayer.reset_lora_parameters (init_lora_weights=True) does:
//
//	Linear:    A ~ kaiming_uniform(a=√5) = U(−1/√in, 1/√in),  B = 0
//	Embedding: A = 0,  B ~ N(0, 1)
//
// so the adapted model computes exactly what the base model does until A or
// B is trained. The draws come from one stream seeded by seed, in module
// order, so the same seed gives the same adapter.
func New(c Config, m Adaptable, seed uint64) (*Adapter, error) {
	class, err := checkArch(c, m)
	if err != nil {
		return nil, err
	}
	mods := m.Modules()
	match, err := MatchTargets(c, mods)
	if err != nil {
		return nil, err
	}
	c.BaseModelClass = class
	rng := randinit.New(seed, 0)
	a := &Adapter{Config: c, Match: match}
	for _, name := range match.Modules {
		mod := mods[name]
		var av, bv []float32
		if mod.Kind == nn.KindEmbedding {
			av, bv = make([]float32, c.R*mod.In), randinit.Normal(rng, mod.Out*c.R, 1)
		} else {
			av, bv = randinit.Uniform(rng, c.R*mod.In, 1/math.Sqrt(float64(mod.In))), make([]float32, mod.Out*c.R)
		}
		l, err := newLayer(c, name, mod, av, bv)
		if err != nil {
			return nil, err
		}
		a.Layers = append(a.Layers, l)
	}
	return a, a.attach()
}

// newLayer wraps A and B for module name.
func newLayer(c Config, name string, mod nn.Module, av, bv []float32) (Layer, error) {
	l := Layer{Module: name, handle: mod}
	s := float32(c.Scale())
	var err error
	if mod.Kind == nn.KindEmbedding {
		l.Embedding, err = nn.NewEmbeddingLoRA(av, bv, c.R, mod.In, mod.Out, s)
	} else {
		l.Linear, err = nn.NewLoRA(av, bv, c.R, mod.In, mod.Out, s)
	}
	if err != nil {
		return l, fmt.Errorf("module %s: %w", name, err)
	}
	return l, nil
}

// attach sets every layer's LoRA on its module, refusing a module that
// already carries one (nothing is attached then).
func (a *Adapter) attach() error {
	for _, l := range a.Layers {
		if (l.handle.Linear != nil && l.handle.Linear.LoRA != nil) || (l.handle.Embedding != nil && l.handle.Embedding.LoRA != nil) {
			return fmt.Errorf("module %s already has an adapter attached", l.Module)
		}
	}
	for _, l := range a.Layers {
		if l.Embedding != nil {
			l.handle.Embedding.LoRA = l.Embedding
		} else {
			l.handle.Linear.LoRA = l.Linear
		}
	}
	return nil
}

// Detach removes the adapter from the model, which computes the base
// model again.
func (a *Adapter) Detach() {
	for _, l := range a.Layers {
		if l.Embedding != nil {
			l.handle.Embedding.LoRA = nil
		} else {
			l.handle.Linear.LoRA = nil
		}
	}
}

// Merge folds the adapter into the model's weights and detaches it (PEFT
// merge_and_unload): W += s·B·A for a Linear, E += s·(B·A)ᵀ for an
// Embedding. The model then computes what the attached adapter computed.
//
// A tied embedding and LM head are untied first (the module's Untie), so the
// merged embedding changes only the input lookup, as the unmerged adapter
// does. PEFT v0.11 instead writes the merged table into the shared
// parameter, changing the LM head too; its merged model then differs from
// its own adapted model (the lora/mamba1 fixture stores both).
func (a *Adapter) Merge() {
	for _, l := range a.Layers {
		if l.handle.Untie != nil {
			l.handle.Untie()
		}
		if l.Embedding != nil {
			l.Embedding.Merge(l.handle.Embedding.Weight)
		} else {
			l.Linear.Merge(l.handle.Linear.Weight)
		}
	}
	a.Detach()
}

// checkArch checks the adapter's auto_mapping.base_model_class against m's
// architecture and returns m's transformers class ("" for a model type this
// package does not know). The class names are a label only; the tensor shape
// checks are what guard against a mismatched base model.
func checkArch(c Config, m Adaptable) (string, error) {
	class := hfClass(m)
	if c.BaseModelClass == "" || class == "" {
		return class, nil
	}
	if family(c.BaseModelClass) != family(class) {
		return class, fmt.Errorf("adapter for a %s (base model %s), but the model is a %s", c.BaseModelClass, c.BaseModel, class)
	}
	return class, nil
}

// hfClass is the transformers class of m, "" for a type not known here.
func hfClass(m Adaptable) string {
	switch m.(type) {
	case *mamba.Model:
		return "MambaForCausalLM"
	case *mamba2.Model:
		return "Mamba2ForCausalLM"
	case *neox.Model:
		return "GPTNeoXForCausalLM"
	}
	return ""
}

// parentLibrary is the transformers module of a class hfClass returns.
func parentLibrary(class string) string {
	switch class {
	case "MambaForCausalLM":
		return "transformers.models.mamba.modeling_mamba"
	case "Mamba2ForCausalLM":
		return "transformers.models.mamba2.modeling_mamba2"
	case "GPTNeoXForCausalLM":
		return "transformers.models.gpt_neox.modeling_gpt_neox"
	}
	return ""
}

// family strips a transformers class name to its architecture
// (GPTNeoXForCausalLM, GPTNeoXModel → GPTNeoX).
func family(class string) string {
	for _, suffix := range []string{"ForCausalLM", "LMHeadModel", "Model"} {
		if f, ok := strings.CutSuffix(class, suffix); ok {
			return f
		}
	}
	return class
}

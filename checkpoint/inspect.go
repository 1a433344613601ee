package checkpoint

import (
	"bytes"
	"fmt"
	"sort"
	"text/tabwriter"
)

// Summary is what `steady inspect` reports about a checkpoint.
type Summary struct {
	Dir          string         `json:"dir"`
	Arch         Arch           `json:"arch"`
	ConfigFormat ConfigFormat   `json:"config_format"`
	Layout       Layout         `json:"layout"`
	Layers       int            `json:"layers"`
	Tensors      int            `json:"tensors"`
	Params       int64          `json:"params"`
	DTypes       map[string]int `json:"dtypes"` // tensor count per stored dtype
	TiedHead     bool           `json:"tied_head"`
	// HeadStored says whether the output head is a tensor of its own in the
	// file (mamba_ssm writes the tied lm_head.weight too; HF does not).
	HeadStored bool `json:"head_stored"`
}

// Summarize describes the checkpoint: parameters are counted once per
// distinct parameter, so a tied head stored twice counts once.
func (c *Checkpoint) Summarize() Summary {
	names := c.Names()
	s := Summary{Dir: c.Dir, Arch: c.Arch, ConfigFormat: c.ConfigFormat, Layout: c.Layout,
		Tensors: len(names), DTypes: map[string]int{}}
	embed, head := c.headNames()
	s.HeadStored = c.Has(head)
	switch c.Arch {
	case NeoX:
		s.TiedHead = c.configBool("tie_word_embeddings", false)
		s.Layers = tensorPrefixCount(names, "gpt_neox.layers.")
	default:
		if c.ConfigFormat == ConfigMambaSSM {
			s.TiedHead = c.configBool("tie_embeddings", true)
		} else {
			s.TiedHead = c.configBool("tie_word_embeddings", true)
		}
		s.Layers = tensorPrefixCount(names, "backbone.layers.")
	}
	if n, ok := c.configInt("num_hidden_layers", "n_layer"); ok && n != s.Layers {
		// The config is the truth for the model; report it, the mismatch surfaces at load.
		s.Layers = n
	}
	for _, n := range names {
		info, _ := c.tensors.Info(n)
		s.DTypes[string(info.DType)]++
		if s.TiedHead && n == head && c.Has(embed) {
			continue
		}
		numel := int64(1)
		for _, d := range info.Shape {
			numel *= int64(d)
		}
		s.Params += numel
	}
	return s
}

// headNames returns the embedding and output-head tensor names of the checkpoint's layout.
func (c *Checkpoint) headNames() (embed, head string) {
	switch {
	case c.Arch == NeoX:
		return "gpt_neox.embed_in.weight", "embed_out.weight"
	case c.Layout == LayoutMambaSSM:
		return "backbone.embedding.weight", "lm_head.weight"
	default:
		return "backbone.embeddings.weight", "lm_head.weight"
	}
}

// String renders the summary as the aligned text `steady inspect` prints.
func (s Summary) String() string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "folder\t%s\n", s.Dir)
	fmt.Fprintf(w, "architecture\t%s\n", s.Arch)
	fmt.Fprintf(w, "config format\t%s\n", s.ConfigFormat)
	fmt.Fprintf(w, "tensor names\t%s layout\n", s.Layout)
	fmt.Fprintf(w, "layers\t%d\n", s.Layers)
	fmt.Fprintf(w, "parameters\t%d (%.2fM)\n", s.Params, float64(s.Params)/1e6)
	fmt.Fprintf(w, "tensors\t%d\n", s.Tensors)
	dts := make([]string, 0, len(s.DTypes))
	for d := range s.DTypes {
		dts = append(dts, d)
	}
	sort.Strings(dts)
	for _, d := range dts {
		fmt.Fprintf(w, "dtype %s\t%d tensors\n", d, s.DTypes[d])
	}
	tied := "no"
	if s.TiedHead {
		tied = "yes (head shares the embedding"
		if s.HeadStored {
			tied += "; stored twice in the file"
		}
		tied += ")"
	}
	fmt.Fprintf(w, "tied embeddings\t%s\n", tied)
	w.Flush()
	return b.String()
}

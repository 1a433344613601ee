package peft

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/steady-ml/steady/safetensors"
)

// Summary is what `steady inspect` reports about an adapter folder.
type Summary struct {
	Dir       string `json:"dir"`
	Config    Config `json:"config"`
	Tensors   int    `json:"tensors"`
	Params    int64  `json:"params"`
	Modules   int    `json:"modules"` // adapted modules (pairs of A and B)
	Embedding bool   `json:"embedding"`
}

// Inspect reads an adapter folder's config and weights.
func Inspect(dir string) (Summary, error) {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return Summary{}, err
	}
	f, err := safetensors.Open(filepath.Join(dir, WeightsFile))
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	s := Summary{Dir: dir, Config: cfg}
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		s.Tensors++
		s.Params += int64(info.Numel())
		if strings.HasSuffix(name, ".lora_A.weight") {
			s.Modules++
		}
		if strings.HasSuffix(name, ".lora_embedding_A") {
			s.Modules++
			s.Embedding = true
		}
	}
	return s, nil
}

// String renders the summary as aligned text.
func (s Summary) String() string {
	var b bytes.Buffer
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	c := s.Config
	fmt.Fprintf(w, "folder\t%s\n", s.Dir)
	fmt.Fprintf(w, "adapter\tPEFT LoRA (r %d, alpha %g, scale %g%s)\n", c.R, c.Alpha, c.Scale(), map[bool]string{true: ", rsLoRA"}[c.UseRSLoRA])
	fmt.Fprintf(w, "base model\t%s\n", c.BaseModel)
	fmt.Fprintf(w, "targets\t%s\n", c.Targets())
	fmt.Fprintf(w, "adapted modules\t%d (embedding: %v)\n", s.Modules, s.Embedding)
	fmt.Fprintf(w, "parameters\t%d in %d tensors\n", s.Params, s.Tensors)
	w.Flush()
	return b.String()
}

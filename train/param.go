package train

import "fmt"

// Param is one trainable tensor: fp32 master weights and the gradient the model's backward
// accumulates into. A tensor shared by two modules (a tied embedding and LM head) is one Param.
type Param struct {
	// Name is the tensor's name in the model's checkpoints (torch's named_parameters name).
	Name string
	// Shape is outermost-first; Data and Grad hold its product of elements, row-major.
	Shape []int
	// Data: fp32 master weights; half values held in float32 in the pure precision modes.
	Data []float32
	// Grad: fp32, accumulated (+=) by Model.Step, zeroed by the trainer before each step; the
	// pure precision modes round it to the half format before clipping and the update.
	Grad []float32
	// NoDecay exempts the parameter from weight decay whatever its rank: mamba_ssm's
	// _no_weight_decay flag, which it sets on A_log and D (and Mamba-2's dt_bias).
	NoDecay bool
}

// Decays reports whether AdamW applies weight decay to p, by the rule of the reference
// harness: `not (getattr(p, "_no_weight_decay", False) or p.ndim < 2)`. Biases and norm
// weights (1-D) are exempt; embeddings and the 3-D conv1d weight are decayed.
func (p *Param) Decays() bool { return !p.NoDecay && len(p.Shape) >= 2 }

// numel is the product of the shape.
func (p *Param) numel() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// SplitDecay returns the parameters that get weight decay and those that do not, each in
// the order given: the two parameter groups of torch.optim.AdamW.
func SplitDecay(params []*Param) (decay, noDecay []*Param) {
	for _, p := range params {
		if p.Decays() {
			decay = append(decay, p)
		} else {
			noDecay = append(noDecay, p)
		}
	}
	return decay, noDecay
}

// checkParams verifies that names are unique and that Data and Grad match each shape.
func checkParams(params []*Param) error {
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if seen[p.Name] {
			return fmt.Errorf("train: parameter %q listed twice (a tied weight must be one Param)", p.Name)
		}
		seen[p.Name] = true
		if n := p.numel(); len(p.Data) != n || len(p.Grad) != n {
			return fmt.Errorf("train: parameter %q: shape %v has %d elements, but Data has %d and Grad %d",
				p.Name, p.Shape, n, len(p.Data), len(p.Grad))
		}
	}
	return nil
}

// zeroGrads sets every gradient to zero: opt.zero_grad().
func zeroGrads(params []*Param) {
	for _, p := range params {
		clear(p.Grad)
	}
}

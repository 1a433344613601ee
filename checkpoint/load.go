package checkpoint

import (
	"fmt"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/model/mamba"
	"github.com/steady-ml/steady/model/mamba2"
	"github.com/steady-ml/steady/model/neox"
)

// Model builds the architecture's model from the checkpoint's config and
// weights. The weights are copied out as float32, so the checkpoint may be
// closed afterwards.
func (c *Checkpoint) Model() (model.LM, error) {
	lm, err := c.build()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", c.Dir, err)
	}
	return lm, nil
}

func (c *Checkpoint) build() (model.LM, error) {
	switch c.Arch {
	case Mamba:
		cfg, err := mamba.ParseConfig(c.Config)
		if err != nil {
			return nil, err
		}
		return mamba.New(cfg, c)
	case Mamba2:
		cfg, err := mamba2.ParseConfig(c.Config)
		if err != nil {
			return nil, err
		}
		return mamba2.New(cfg, c)
	case NeoX:
		cfg, err := neox.ParseConfig(c.Config)
		if err != nil {
			return nil, err
		}
		return neox.New(cfg, c)
	}
	return nil, fmt.Errorf("architecture %q has no model", c.Arch)
}

// Load opens the checkpoint folder dir and builds its model.
func Load(dir string) (model.LM, error) {
	c, err := Open(dir)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Model()
}

package peft_test

import (
	"fmt"

	"github.com/steady-ml/steady/peft"
)

func ExamplePreset() {
	for _, arch := range []string{"mamba", "mamba2", "gpt_neox"} {
		targets, err := peft.Preset(arch, "lora-subset")
		if err != nil {
			panic(err)
		}
		fmt.Println(arch, targets)
	}
	// Output:
	// mamba [x_proj]
	// mamba2 [in_proj]
	// gpt_neox [query_key_value]
}

func ExampleNewConfig() {
	s := peft.Settings{Targets: []string{"lora-all"}, R: 8, Alpha: 16, Dropout: 0.05}
	c, err := peft.NewConfig(s, "mamba", "state-spaces/mamba-130m-hf")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Targets(), c.Scale())
	// Output:
	// x_proj, in_proj, out_proj, embeddings 2
}

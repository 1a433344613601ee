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

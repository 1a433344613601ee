package mamba

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/steady-ml/steady/safetensors"
)

// ExampleModel_Forward prefills a prompt into a decode state, then decodes
// greedily one token at a time from that state. The fixture model has random
// weights, so it merely repeats a token.
func ExampleModel_Forward() {
	data, err := os.ReadFile(filepath.Join(fixtures, "config.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := safetensors.Open(filepath.Join(fixtures, "model.safetensors"))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := New(cfg, fileWeights{f: f})
	if err != nil {
		fmt.Println(err)
		return
	}
	state := m.NewState(1)
	prompt := []int32{10, 20, 30, 40, 50}
	logits, err := m.Forward(prompt, 1, len(prompt), state) // prefill: the state now holds the prompt
	if err != nil {
		fmt.Println(err)
		return
	}
	v := m.VocabSize()
	next := argmax(logits[(len(prompt)-1)*v:])
	generated := []int32{next}
	for len(generated) < 6 {
		if logits, err = m.Forward([]int32{next}, 1, 1, state); err != nil { // one step
			fmt.Println(err)
			return
		}
		next = argmax(logits)
		generated = append(generated, next)
	}
	fmt.Println(generated)
	// Output: [50 50 50 50 50 50]
}

func argmax(x []float32) int32 {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return int32(best)
}

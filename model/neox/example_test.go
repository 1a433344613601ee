package neox_test

import (
	"fmt"
	"log"
	"os"

	"github.com/steady-ml/steady/model/neox"
	"github.com/steady-ml/steady/safetensors"
)

// weights adapts a safetensors file to model.Weights.
type weights struct{ *safetensors.File }

func (w weights) Has(name string) bool { _, ok := w.Info(name); return ok }

// checkpointDir finds the test fixture checkpoint from the package directory.
func checkpointDir() string {
	for _, dir := range []string{"../../shared/fixtures/gpt_neox/", "../../../shared/fixtures/gpt_neox/"} {
		if _, err := os.Stat(dir + "config.json"); err == nil {
			return dir
		}
	}
	return "shared/fixtures/gpt_neox/"
}

// Greedy decoding with a key/value cache: prefill a prompt, then feed back
// the most likely next token one step at a time.
func ExampleModel_Forward() {
	dir := checkpointDir() // a Pythia-style checkpoint directory
	data, err := os.ReadFile(dir + "config.json")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := neox.ParseConfig(data)
	if err != nil {
		log.Fatal(err)
	}
	f, err := safetensors.Open(dir + "model.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := neox.New(cfg, weights{f})
	if err != nil {
		log.Fatal(err)
	}

	state, err := m.NewStateCap(1, 16)
	if err != nil {
		log.Fatal(err)
	}
	tokens := []int32{7, 42, 300}
	logits, err := m.Forward(tokens, 1, len(tokens), state)
	if err != nil {
		log.Fatal(err)
	}
	for range 5 {
		last := logits[len(logits)-m.VocabSize():]
		next := int32(0)
		for i, l := range last {
			if l > last[next] {
				next = int32(i)
			}
		}
		tokens = append(tokens, next)
		if logits, err = m.Forward([]int32{next}, 1, 1, state); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(tokens, state.Len())
	// Output: [7 42 300 40 81 18 81 18] 8
}

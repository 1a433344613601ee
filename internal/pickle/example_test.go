package pickle_test

import (
	"fmt"
	"log"

	"github.com/steady-ml/steady/internal/pickle"
)

// Open reads a torch.save state dict; tied weights name the tensor they share.
func ExampleOpen() {
	ck, err := pickle.Open("testdata/torch_save_zip.bin")
	if err != nil {
		log.Fatal(err)
	}
	defer ck.Close()
	for _, t := range ck.Tensors {
		if t.Tied != "" {
			fmt.Println(t.Name, t.DType, t.Shape, "tied to", t.Tied)
			continue
		}
		fmt.Println(t.Name, t.DType, t.Shape)
	}
	// Output:
	// backbone.embedding.weight F32 [4 3]
	// backbone.layers.0.norm.weight BF16 [2]
	// backbone.layers.0.mixer.conv1d.weight F32 [3 2]
	// backbone.layers.0.mixer.D F32 [3]
	// step I64 []
	// lm_head.weight F32 [4 3] tied to backbone.embedding.weight
}

package hub_test

import (
	"context"
	"fmt"
	"log"

	"github.com/steady-ml/steady/hub"
)

// Snapshot fetches what a model needs into the huggingface_hub cache and
// returns the snapshot folder, which Python's transformers also reads.
func ExampleClient_Snapshot() {
	c := hub.NewClient() // HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE, HF_HUB_OFFLINE
	dir, err := c.Snapshot(context.Background(), "state-spaces/mamba-130m-hf", "main", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dir)
}

// Resolve is what every command taking --model calls: a folder is used as is,
// an "org/name[@revision]" is served from the cache or downloaded.
func ExampleResolve() {
	dir, err := hub.Resolve("EleutherAI/pythia-160m@step143000")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dir)
}

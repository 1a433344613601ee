package dataset_test

import (
	"fmt"
	"log"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/tokenizer"
)

// Pack two documents into examples of 4 tokens and batch them.
func ExamplePack() {
	tok := tokenizer.Default()
	docs, err := dataset.SplitText("The cat sat.\n\nThe dog ran away.\n", dataset.DocumentOptions{Split: dataset.SplitParagraphs})
	if err != nil {
		log.Fatal(err)
	}
	exs, st, err := dataset.Pack(tok, docs, dataset.PackOptions{SeqLen: 4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d documents, %d tokens, %d examples, %d dropped\n", st.Documents, st.Tokens, st.Examples, st.DroppedTokens)
	for _, ex := range exs {
		fmt.Printf("%q -> %q\n", tok.Decode(ex.Tokens), tok.Decode(ex.Targets))
	}
	l, err := dataset.NewLoader(exs, dataset.LoaderOptions{BatchSize: 2})
	if err != nil {
		log.Fatal(err)
	}
	for step, b := range l.Epoch(0) {
		fmt.Printf("step %d: (%d, %d), %d targets\n", step, b.Batch, b.Seq, b.TargetCount())
	}
	// Output:
	// 2 documents, 11 tokens, 2 examples, 2 dropped
	// "The cat sat." -> " cat sat.<|endoftext|>"
	// "<|endoftext|>The dog ran" -> "The dog ran away"
	// step 0: (2, 4), 8 targets
}

// Encode an Alpaca example with the loss on the response only.
func ExampleEncodePairs() {
	tok := tokenizer.Default()
	pairs := []dataset.Pair{{Prompt: dataset.AlpacaPrompt("Name a colour.", ""), Response: "Blue"}}
	exs, st, err := dataset.EncodePairs(tok, pairs, dataset.InstructOptions{MaxLen: 512, ResponseOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	ex := exs[0]
	var targets []int32
	for _, id := range ex.Targets {
		if id != dataset.IgnoreIndex {
			targets = append(targets, id)
		}
	}
	fmt.Printf("%d tokens, %d targets: %q\n", len(ex.Tokens), st.Targets, tok.Decode(targets))
	// Output:
	// 35 tokens, 2 targets: "Blue<|endoftext|>"
}

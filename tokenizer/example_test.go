package tokenizer_test

import (
	"fmt"

	"github.com/steady-ml/steady/tokenizer"
)

func Example() {
	tok := tokenizer.Default()
	ids := tok.Encode("Hello world<|endoftext|>")
	fmt.Println(ids)
	fmt.Printf("%q\n", tok.Decode(ids))
	// Output:
	// [12092 1533 0]
	// "Hello world<|endoftext|>"
}

func ExampleTokenizer_AppendEncode() {
	tok := tokenizer.Default()
	ids := tok.AppendEncode(nil, "<|endoftext|>", tokenizer.EncodeOptions{SpecialAsText: true})
	fmt.Println(len(ids) > 1, tok.Decode(ids))
	// Output: true <|endoftext|>
}

func ExampleTokenizer_DecodeWith() {
	tok := tokenizer.Default()
	text := tok.DecodeWith([]int32{12092, 0}, tokenizer.DecodeOptions{SkipSpecialTokens: true})
	fmt.Println(text)
	// Output: Hello
}

func ExampleTokenizer_Token() {
	tok := tokenizer.Default()
	for _, id := range tok.Encode("Hello  world") {
		s, _ := tok.Token(id)
		fmt.Printf("%d %q\n", id, s)
	}
	// Output:
	// 12092 "Hello"
	// 50276 "  "
	// 10186 "world"
}

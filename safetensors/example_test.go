package safetensors_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/steady-ml/steady/safetensors"
)

// Example writes a checkpoint atomically and reads it back through the memory-mapped reader.
func Example() {
	dir, _ := os.MkdirTemp("", "safetensors-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	tensors := []safetensors.Tensor{
		safetensors.F32Tensor("backbone.norm_f.weight", []int{4}, []float32{1, 1.5, 2, 2.5}),
		safetensors.I64Tensor("input_ids", []int{1, 3}, []int64{101, 7, 42}),
	}
	if err := safetensors.Write(path, tensors, map[string]string{"format": "pt"}); err != nil {
		fmt.Println(err)
		return
	}

	f, err := safetensors.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for _, name := range f.Names() {
		info, _ := f.Info(name)
		fmt.Println(name, info.DType, info.Shape)
	}
	w, _ := f.F32View("backbone.norm_f.weight") // zero-copy: aliases the mapping
	ids, _, _ := f.I64("input_ids")
	fmt.Println(w, ids, f.Metadata["format"])

	_, _, err = f.F32("missing")
	fmt.Println(err != nil)
	// Output:
	// backbone.norm_f.weight F32 [4]
	// input_ids I64 [1 3]
	// [1 1.5 2 2.5] [101 7 42] pt
	// true
}

// ExampleWriteSharded splits a checkpoint into shards and opens them as one set.
func ExampleWriteSharded() {
	dir, _ := os.MkdirTemp("", "safetensors-sharded")
	defer os.RemoveAll(dir)
	tensors := []safetensors.Tensor{
		safetensors.F32Tensor("a", []int{4}, []float32{1, 2, 3, 4}),
		safetensors.F32Tensor("b", []int{4}, []float32{5, 6, 7, 8}),
	}
	files, err := safetensors.WriteSharded(dir, tensors, safetensors.ShardOptions{MaxShardSize: 16})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(files)

	set, err := safetensors.OpenDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer set.Close()
	b, _, _ := set.F32("b")
	fmt.Println(set.Names(), b)
	// Output:
	// [model-00001-of-00002.safetensors model-00002-of-00002.safetensors model.safetensors.index.json]
	// [a b] [5 6 7 8]
}

package safetensors

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sizedTensors returns U8 tensors layer_1, layer_2, ... of the given byte sizes.
func sizedTensors(sizes ...int) []Tensor {
	var ts []Tensor
	for i, n := range sizes {
		ts = append(ts, Tensor{fmt.Sprintf("layer_%d", i+1), U8, []int{n}, make([]byte, n)})
	}
	return ts
}

// TestSplitShards uses the cases of huggingface_hub's tests/test_serialization.py
// (test_single_shard, test_multiple_shards) and the example of its docstring.
func TestSplitShards(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int
		limit int64
		want  [][]string
		total int64
	}{
		{"single_shard", []int{6, 10, 30, 2, 2}, 100, [][]string{{"layer_1", "layer_2", "layer_3", "layer_4", "layer_5"}}, 50},
		{"multiple_shards", []int{6, 10, 30, 2, 2}, 10, [][]string{{"layer_1"}, {"layer_3"}, {"layer_2"}, {"layer_4", "layer_5"}}, 50},
		{"docstring_6_6_2_6_2_2", []int{6, 6, 2, 6, 2, 2}, 10, [][]string{{"layer_1"}, {"layer_2", "layer_3"}, {"layer_4", "layer_5", "layer_6"}}, 24},
		{"exact_fit", []int{5, 5, 5}, 10, [][]string{{"layer_1", "layer_2"}, {"layer_3"}}, 15},
		{"empty", nil, 10, nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shards, total := splitShards(sizedTensors(tc.sizes...), tc.limit)
			var got [][]string
			for _, s := range shards {
				var names []string
				for _, x := range s {
					names = append(names, x.Name)
				}
				got = append(got, names)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || total != tc.total {
				t.Errorf("got %v total %d, want %v total %d", got, total, tc.want, tc.total)
			}
		})
	}
}

func TestWriteShardedRoundTrip(t *testing.T) {
	dir := t.TempDir()
	tensors := []Tensor{
		F32Tensor("a.weight", []int{2, 2}, []float32{1, 2, 3, 4}),
		F32Tensor("b.weight", []int{3}, []float32{5, 6, 7}),
		I64Tensor("c.ids", []int{2}, []int64{8, 9}),
		F32Tensor("d.bias", []int{1}, []float32{10}),
	}
	files, err := WriteSharded(dir, tensors, ShardOptions{MaxShardSize: 20, Metadata: map[string]string{"format": "pt"}})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{ShardName(1, 3), ShardName(2, 3), ShardName(3, 3), IndexFileName}
	if !slices.Equal(files, wantFiles) || ShardName(1, 3) != "model-00001-of-00003.safetensors" {
		t.Fatalf("files %v, want %v", files, wantFiles)
	}
	index := string(mustRead(t, filepath.Join(dir, IndexFileName)))
	wantIndex := `{
  "metadata": {
    "total_size": 48
  },
  "weight_map": {
    "a.weight": "model-00001-of-00003.safetensors",
    "b.weight": "model-00002-of-00003.safetensors",
    "c.ids": "model-00003-of-00003.safetensors",
    "d.bias": "model-00003-of-00003.safetensors"
  }
}
`
	if index != wantIndex {
		t.Errorf("index:\n%s\nwant:\n%s", index, wantIndex)
	}
	s, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); !slices.Equal(got, []string{"a.weight", "b.weight", "c.ids", "d.bias"}) {
		t.Errorf("names %v", got)
	}
	if x, shape, err := s.F32("b.weight"); err != nil || !slices.Equal(x, []float32{5, 6, 7}) || !slices.Equal(shape, []int{3}) {
		t.Errorf("F32(b.weight) = %v %v %v", x, shape, err)
	}
	if v, ok := s.F32View("a.weight"); !ok || !slices.Equal(v, []float32{1, 2, 3, 4}) {
		t.Errorf("F32View(a.weight) = %v %v", v, ok)
	}
	if ids, _, err := s.I64("c.ids"); err != nil || !slices.Equal(ids, []int64{8, 9}) {
		t.Errorf("I64(c.ids) = %v %v", ids, err)
	}
	if info, ok := s.Info("d.bias"); !ok || info.DType != F32 {
		t.Errorf("Info(d.bias) = %+v %v", info, ok)
	}
	if _, err := s.Bytes("nope"); err == nil || !strings.Contains(err.Error(), IndexFileName) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Bytes(nope) = %v, want an error naming the index and the tensor", err)
	}
	if len(s.Files()) != 3 || s.Files()[0].Metadata["format"] != "pt" {
		t.Errorf("files %d, metadata of the first %v", len(s.Files()), s.Files()[0].Metadata)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Saving again as one file removes the shards and the index, and OpenDir finds the file.
	files, err = WriteSharded(dir, tensors[:1], ShardOptions{})
	if err != nil || !slices.Equal(files, []string{SingleFileName}) {
		t.Fatalf("files %v err %v", files, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != SingleFileName {
		t.Errorf("directory holds %v, want only %s", entries, SingleFileName)
	}
	s, err = OpenDir(dir)
	if err != nil || s.Index != nil || !slices.Equal(s.Names(), []string{"a.weight"}) {
		t.Fatalf("OpenDir of a single file: %v", err)
	}
	s.Close()
}

// TestOpenIndexRejects checks that inconsistent indexes are refused with an error naming the
// index (or shard) and the tensor.
func TestOpenIndexRejects(t *testing.T) {
	shard := func(dir, name string, tensors ...Tensor) {
		if err := Write(filepath.Join(dir, name), tensors, nil); err != nil {
			t.Fatal(err)
		}
	}
	a := F32Tensor("a", []int{1}, []float32{1})
	b := F32Tensor("b", []int{1}, []float32{2})
	s1, s2 := ShardName(1, 2), ShardName(2, 2)
	cases := []struct {
		name   string
		index  string
		shards map[string][]Tensor
		msg    string
	}{
		{"not_json", `{"weight_map":`, nil, "index is not valid JSON"},
		{"trailing_data", `{"weight_map":{"a":"x"}} {}`, nil, "data after the object"},
		{"empty_weight_map", `{"weight_map":{}}`, nil, "no weight_map entries"},
		{"bad_total_size", `{"metadata":{"total_size":"big"},"weight_map":{"a":"` + s1 + `"}}`, map[string][]Tensor{s1: {a}}, "total_size"},
		{"negative_total_size", `{"metadata":{"total_size":-1},"weight_map":{"a":"` + s1 + `"}}`, map[string][]Tensor{s1: {a}}, "total_size"},
		{"missing_shard", `{"weight_map":{"a":"` + s1 + `","b":"` + s2 + `"}}`, map[string][]Tensor{s1: {a}}, "shard " + s2},
		{"tensor_not_in_shard", `{"weight_map":{"a":"` + s1 + `","b":"` + s1 + `"}}`, map[string][]Tensor{s1: {a}}, `tensor "b": weight_map puts it in ` + s1 + `, which does not hold it`},
		{"tensor_not_in_map", `{"weight_map":{"a":"` + s1 + `"}}`, map[string][]Tensor{s1: {a, b}}, `tensor "b": held by ` + s1 + ` but absent from weight_map`},
		{"tensor_in_wrong_shard", `{"weight_map":{"a":"` + s1 + `","b":"` + s2 + `"}}`, map[string][]Tensor{s1: {a, b}, s2: {}}, `tensor "b": weight_map puts it in ` + s2 + `, which does not hold it`},
		{"tensor_in_two_shards", `{"weight_map":{"a":"` + s1 + `","b":"` + s2 + `"}}`, map[string][]Tensor{s1: {a, b}, s2: {b}}, `tensor "b": held by ` + s1 + ` but weight_map puts it in ` + s2},
		{"path_traversal", `{"weight_map":{"a":"../x.safetensors"}}`, nil, `tensor "a": weight_map names "../x.safetensors", which is not a plain file name`},
		{"absolute_path", `{"weight_map":{"a":"/etc/passwd"}}`, nil, "not a plain file name"},
		{"empty_file_name", `{"weight_map":{"a":""}}`, nil, "not a plain file name"},
		{"corrupt_shard", `{"weight_map":{"a":"` + s1 + `"}}`, nil, "too short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, ts := range tc.shards {
				shard(dir, name, ts...)
			}
			if tc.name == "corrupt_shard" {
				os.WriteFile(filepath.Join(dir, s1), []byte{1, 2}, 0o644)
			}
			path := filepath.Join(dir, IndexFileName)
			if err := os.WriteFile(path, []byte(tc.index), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := OpenDir(dir)
			if err == nil {
				s.Close()
				t.Fatal("accepted an inconsistent index")
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), path) {
				t.Errorf("got %q, want an error naming %s and containing %q", err, path, tc.msg)
			}
		})
	}
}

func TestWriteShardedRejectsDuplicates(t *testing.T) {
	dir := t.TempDir()
	a := F32Tensor("a", []int{1}, []float32{1})
	_, err := WriteSharded(dir, []Tensor{a, F32Tensor("b", []int{1}, []float32{2}), a}, ShardOptions{MaxShardSize: 4})
	if err == nil || !strings.Contains(err.Error(), `tensor "a": duplicate name`) || !strings.Contains(err.Error(), dir) {
		t.Errorf("got %v, want a duplicate-name error naming the directory and the tensor", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a rejected WriteSharded left %d files", len(entries))
	}
}

func TestOpenDirEmpty(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenDir(dir)
	if err == nil || !strings.Contains(err.Error(), "neither model.safetensors nor model.safetensors.index.json") || !strings.Contains(err.Error(), dir) {
		t.Errorf("OpenDir of an empty directory: %v", err)
	}
	_, err = OpenIndex(filepath.Join(dir, IndexFileName))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenIndex of a missing index: %v, want fs.ErrNotExist", err)
	}
}

package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

// File names of Hugging Face checkpoints.
const (
	// SingleFileName is the weights file of an unsharded checkpoint.
	SingleFileName = "model.safetensors"
	// IndexFileName is the index of a sharded checkpoint.
	IndexFileName = "model.safetensors.index.json"
	// DefaultMaxShardSize is the default shard size limit of huggingface_hub and transformers, "5GB".
	DefaultMaxShardSize = 5_000_000_000
)

// maxIndexSize bounds the index file read; real ones are well under a megabyte.
const maxIndexSize = MaxHeaderSize

// shardName matches the shard names ShardName makes.
var shardName = regexp.MustCompile(`^model-\d{5}-of-\d{5}\.safetensors$`)

// ShardName returns the file name of shard i (from 1) of n, as transformers names them:
// model-00001-of-00003.safetensors.
func ShardName(i, n int) string { return fmt.Sprintf("model-%05d-of-%05d.safetensors", i, n) }

// Index is the content of model.safetensors.index.json.
type Index struct {
	// Metadata holds "total_size" (the bytes of all tensors' data) and whatever else the
	// writer put there; numbers are json.Number.
	Metadata map[string]any `json:"metadata"`
	// WeightMap maps each tensor name to the shard file, relative to the index, holding it.
	WeightMap map[string]string `json:"weight_map"`
}

// Set is a checkpoint's tensors, from one file or from all the shards of an index, with the
// accessors of File. Names are unique across the set.
type Set struct {
	// Dir is the directory holding the files.
	Dir string
	// Index is the parsed index, nil for a single file.
	Index *Index

	files []*File
	owner map[string]*File
	names []string
}

// OpenDir opens the checkpoint in dir: the shards listed by model.safetensors.index.json
// when that exists, else model.safetensors.
func OpenDir(dir string) (*Set, error) {
	index := filepath.Join(dir, IndexFileName)
	if _, err := os.Stat(index); err == nil {
		return OpenIndex(index)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Open(filepath.Join(dir, SingleFileName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("safetensors %s: neither %s nor %s", dir, SingleFileName, IndexFileName)
		}
		return nil, err
	}
	return newSet(dir, nil, []*File{f}), nil
}

// OpenIndex opens the sharded checkpoint described by the index file at path. It checks that
// every shard named exists and is valid, that each holds exactly the tensors the weight map
// assigns to it, and that shard names are plain file names in the index's directory.
// total_size is not checked against the data, as writers disagree on what it counts.
func OpenIndex(path string) (*Set, error) {
	idx, err := readIndex(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	var shards []string
	for tensor, shard := range idx.WeightMap {
		if shard == "" || shard == "." || shard == ".." || filepath.Base(shard) != shard || shard != filepath.Clean(shard) {
			return nil, tensorErr(path, tensor, "weight_map names %q, which is not a plain file name", shard)
		}
		if !slices.Contains(shards, shard) {
			shards = append(shards, shard)
		}
	}
	slices.Sort(shards)
	files := make([]*File, 0, len(shards))
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, shard := range shards {
		f, err := Open(filepath.Join(dir, shard))
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("safetensors %s: shard %s: %w", path, shard, err)
		}
		files = append(files, f)
	}
	if err := checkWeightMap(path, idx, files); err != nil {
		closeAll()
		return nil, err
	}
	return newSet(dir, idx, files), nil
}

// readIndex reads and parses an index file, bounding what it reads.
func readIndex(path string) (*Index, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.Size() > maxIndexSize {
		return nil, fileErr(path, "index of %d bytes exceeds the %d-byte limit", st.Size(), maxIndexSize)
	}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.UseNumber()
	var idx Index
	if err := dec.Decode(&idx); err != nil {
		return nil, fileErr(path, "index is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fileErr(path, "index is not valid JSON: data after the object")
	}
	if len(idx.WeightMap) == 0 {
		return nil, fileErr(path, "index has no weight_map entries")
	}
	if ts, ok := idx.Metadata["total_size"]; ok {
		if n, isNum := ts.(json.Number); !isNum || !isUint(string(n)) {
			return nil, fileErr(path, "metadata.total_size %v is not a non-negative integer", ts)
		}
	}
	return &idx, nil
}

// isUint reports whether s is a decimal non-negative integer.
func isUint(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkWeightMap checks that the shards hold exactly the tensors the weight map gives them.
func checkWeightMap(path string, idx *Index, files []*File) error {
	byName := map[string]*File{}
	for _, f := range files {
		byName[filepath.Base(f.Path)] = f
	}
	for tensor, shard := range idx.WeightMap {
		if _, ok := byName[shard].tensors[tensor]; !ok {
			return tensorErr(path, tensor, "weight_map puts it in %s, which does not hold it", shard)
		}
	}
	for _, f := range files {
		shard := filepath.Base(f.Path)
		for _, tensor := range f.names {
			if want, ok := idx.WeightMap[tensor]; !ok {
				return tensorErr(path, tensor, "held by %s but absent from weight_map", shard)
			} else if want != shard {
				return tensorErr(path, tensor, "held by %s but weight_map puts it in %s", shard, want)
			}
		}
	}
	return nil
}

func newSet(dir string, idx *Index, files []*File) *Set {
	s := &Set{Dir: dir, Index: idx, files: files, owner: map[string]*File{}}
	for _, f := range files {
		for _, name := range f.names {
			s.owner[name] = f
			s.names = append(s.names, name)
		}
	}
	slices.Sort(s.names)
	return s
}

// Files returns the files of the set, in shard order.
func (s *Set) Files() []*File { return slices.Clone(s.files) }

// Names returns the tensor names of all files in sorted order.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Info returns the description of the named tensor.
func (s *Set) Info(name string) (TensorInfo, bool) {
	f, ok := s.owner[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Bytes returns the raw bytes of the named tensor; see File.Bytes.
func (s *Set) Bytes(name string) ([]byte, error) { return s.file(name).Bytes(name) }

// Tensor returns the named tensor; see File.Tensor.
func (s *Set) Tensor(name string) (Tensor, error) { return s.file(name).Tensor(name) }

// F32 returns the named tensor converted to float32; see File.F32.
func (s *Set) F32(name string) ([]float32, []int, error) { return s.file(name).F32(name) }

// F32View returns the named F32 tensor without copying; see File.F32View.
func (s *Set) F32View(name string) ([]float32, bool) { return s.file(name).F32View(name) }

// I64 returns the named integer tensor widened to int64; see File.I64.
func (s *Set) I64(name string) ([]int64, []int, error) { return s.file(name).I64(name) }

// file returns the file holding name, or an empty File whose accessors report it missing.
func (s *Set) file(name string) *File {
	if f, ok := s.owner[name]; ok {
		return f
	}
	path := filepath.Join(s.Dir, IndexFileName)
	if s.Index == nil {
		path = s.files[0].Path
	}
	return &File{Path: path}
}

// Close closes every file of the set and returns the first error.
func (s *Set) Close() error {
	var first error
	for _, f := range s.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

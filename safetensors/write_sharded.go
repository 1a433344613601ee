package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/steady-ml/steady/internal/atomicfile"
)

// ShardOptions configures WriteSharded.
type ShardOptions struct {
	// MaxShardSize is the most tensor data bytes per shard; 0 means DefaultMaxShardSize.
	// A tensor larger than the limit gets a shard of its own.
	MaxShardSize int64
	// Metadata is written into every shard's header; nil means {"format": "pt"}, which
	// transformers writes and checks when loading.
	Metadata map[string]string
}

// WriteSharded writes tensors into dir as transformers' save_pretrained does: a single
// model.safetensors when they fit in one shard, else shards named by ShardName plus
// model.safetensors.index.json. Shards are filled greedily in the order of tensors
// (huggingface_hub's split_state_dict_into_shards): a tensor that would overflow the current
// shard starts a new one, and a tensor larger than the limit is put alone in a shard of its
// own, placed before the shard being filled. Every file is written atomically, the index
// last; then files a previous save left in dir (other shards, or the index when a single
// file is written) are removed. It returns the names of the files written, index last.
// Each file is atomic but the set is not: a reader of dir during a re-save (or after a crash
// part-way) may see shards of both saves, so save into a fresh directory when that matters.
func WriteSharded(dir string, tensors []Tensor, opts ShardOptions) ([]string, error) {
	limit := opts.MaxShardSize
	if limit <= 0 {
		limit = DefaultMaxShardSize
	}
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if err := checkTensor(t); err != nil {
			return nil, fmt.Errorf("safetensors %s: %w", dir, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("safetensors %s: tensor %q: duplicate name", dir, t.Name)
		}
		seen[t.Name] = true
	}
	meta := opts.Metadata
	if meta == nil {
		meta = map[string]string{"format": "pt"}
	}
	shards, total := splitShards(tensors, limit)
	if len(shards) <= 1 {
		if err := Write(filepath.Join(dir, SingleFileName), tensors, meta); err != nil {
			return nil, err
		}
		return []string{SingleFileName}, removeStale(dir, nil)
	}
	idx := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	var written []string
	for i, shard := range shards {
		name := ShardName(i+1, len(shards))
		if err := Write(filepath.Join(dir, name), shard, meta); err != nil {
			return nil, err
		}
		for _, t := range shard {
			idx.WeightMap[t.Name] = name
		}
		written = append(written, name)
	}
	if err := writeIndex(filepath.Join(dir, IndexFileName), &idx); err != nil {
		return nil, err
	}
	return append(written, IndexFileName), removeStale(dir, written)
}

// splitShards groups tensors into shards of at most limit data bytes and returns the total.
func splitShards(tensors []Tensor, limit int64) (shards [][]Tensor, total int64) {
	var cur []Tensor
	var size int64
	for _, t := range tensors {
		n := int64(len(t.Data))
		total += n
		if n > limit {
			shards = append(shards, []Tensor{t})
			continue
		}
		if size+n > limit && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, t)
		size += n
	}
	if len(cur) > 0 {
		shards = append(shards, cur)
	}
	return shards, total
}

// writeIndex writes idx as transformers does: json.dumps(index, indent=2, sort_keys=True)
// followed by a newline.
func writeIndex(path string, idx *Index) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(idx); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// removeStale removes from dir the shard files not in keep and, when keep is empty (a single
// file was written), the index.
func removeStale(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		stale := shardName.MatchString(name) && !slices.Contains(keep, name) ||
			name == IndexFileName && len(keep) == 0
		if !stale {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("safetensors %s: removing stale %s: %w", dir, name, err)
		}
	}
	return nil
}

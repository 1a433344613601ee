package pickle

import (
	"fmt"

	"github.com/nlpodyssey/gopickle/types"
)

// stateDict turns the unpickled object, a dict of name → tensor, into Tensors
// in file order.
func stateDict(obj any) ([]Tensor, error) {
	type entry struct {
		key   any
		value any
	}
	var entries []entry
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			kv := e.Value.(*types.OrderedDictEntry)
			entries = append(entries, entry{kv.Key, kv.Value})
		}
	case *types.Dict:
		for _, kv := range *d {
			entries = append(entries, entry{kv.Key, kv.Value})
		}
	default:
		return nil, fmt.Errorf("the checkpoint holds a %T, not a state dict of tensors", obj)
	}
	type viewKey struct {
		storage       *storage
		offset        int64
		shape, stride string
	}
	seen := map[viewKey]int{}
	out := make([]Tensor, 0, len(entries))
	for _, e := range entries {
		name, ok := e.key.(string)
		if !ok {
			return nil, fmt.Errorf("state dict key %v is a %T, not a string", e.key, e.key)
		}
		ref, ok := e.value.(*tensorRef)
		if !ok {
			return nil, fmt.Errorf("state dict entry %q is a %T, not a tensor (only state dicts of tensors can be read)", name, e.value)
		}
		k := viewKey{ref.storage, ref.offset, fmt.Sprint(ref.shape), fmt.Sprint(ref.stride)}
		if i, ok := seen[k]; ok {
			t := out[i]
			out = append(out, Tensor{Name: name, DType: t.DType, Shape: t.Shape, Data: t.Data, Tied: t.Name})
			continue
		}
		data, err := ref.contiguous()
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		seen[k] = len(out)
		out = append(out, Tensor{Name: name, DType: ref.storage.class.dtype, Shape: ref.shape, Data: data})
	}
	return out, nil
}

// contiguous returns the tensor's elements in row-major order: the storage's
// bytes themselves when the view is already contiguous, a copy otherwise.
func (t *tensorRef) contiguous() ([]byte, error) {
	src := t.storage.bytes()
	size := int64(t.storage.class.size)
	if int64(len(src)) != t.storage.numel*size {
		return nil, fmt.Errorf("storage %s: %d bytes, want %d", t.storage.key, len(src), t.storage.numel*size)
	}
	numel, last, contiguous := int64(1), t.offset, true
	want := int64(1)
	for i := len(t.shape) - 1; i >= 0; i-- {
		n, s := int64(t.shape[i]), int64(t.stride[i])
		if n == 0 {
			return []byte{}, nil
		}
		numel *= n
		last += (n - 1) * s
		if n > 1 && s != want {
			contiguous = false
		}
		want *= n
	}
	if last >= t.storage.numel {
		return nil, fmt.Errorf("shape %v, stride %v and offset %d reach element %d of storage %s, which has %d",
			t.shape, t.stride, t.offset, last, t.storage.key, t.storage.numel)
	}
	if contiguous {
		return src[t.offset*size : (t.offset+numel)*size], nil
	}
	dst := make([]byte, 0, numel*size)
	idx := make([]int, len(t.shape)) // the multi-index of the next element
	for range numel {
		pos := t.offset
		for d, i := range idx {
			pos += int64(i) * int64(t.stride[d])
		}
		dst = append(dst, src[pos*size:(pos+1)*size]...)
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < t.shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return dst, nil
}

package pickle

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"
)

// legacyMagic is torch.serialization.MAGIC_NUMBER; legacyProtocol its PROTOCOL_VERSION.
const (
	legacyMagic    = "1950a86a20f9469cfc6c"
	legacyProtocol = 1001
)

// loadLegacy reads the pre-1.6 layout: magic, protocol, sys_info, object,
// storage keys, then each storage as an int64 element count and its bytes.
func loadLegacy(r io.Reader) (any, error) {
	br := bufio.NewReader(r)
	magic, err := plainPickle(br)
	if n, ok := magic.(*big.Int); err != nil || !ok || n.Text(16) != legacyMagic {
		return nil, errors.New("legacy format: bad magic number (a pickle, but not a torch.save file)")
	}
	if v, err := plainPickle(br); err != nil || v != legacyProtocol {
		return nil, fmt.Errorf("legacy format: protocol version %v, want %d", v, legacyProtocol)
	}
	sysInfo, err := plainPickle(br)
	if err != nil {
		return nil, fmt.Errorf("legacy format: system info: %w", err)
	}
	if d, ok := sysInfo.(*types.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le != true {
			return nil, errors.New("legacy format: written on a big-endian machine, only little-endian is supported")
		}
	}
	storages := map[string]*storage{}
	load := func(pid *types.Tuple) (any, error) {
		class, key, numel, err := storageID(pid, 6)
		if err != nil {
			return nil, err
		}
		root, ok := storages[key]
		if !ok {
			root = &storage{key: key, class: class, numel: numel}
			storages[key] = root
		}
		view, ok := pid.Get(5).(*types.Tuple)
		if !ok || view.Len() != 3 {
			return root, nil // no view metadata (None)
		}
		viewKey, _ := view.Get(0).(string)
		offset, okOff := view.Get(1).(int)
		size, okSize := view.Get(2).(int)
		if !okOff || !okSize || offset < 0 || size < 0 || int64(offset+size) > numel {
			return nil, fmt.Errorf("storage %s: bad view %v", key, view)
		}
		if v, ok := storages[viewKey]; ok && viewKey != key {
			return v, nil
		}
		v := &storage{key: viewKey, class: class, numel: int64(size), root: root, offset: int64(offset)}
		storages[viewKey] = v
		return v, nil
	}
	obj, err := unpickle(br, findClass, load)
	if err != nil {
		return nil, err
	}
	keys, err := plainPickle(br)
	if err != nil {
		return nil, fmt.Errorf("legacy format: storage keys: %w", err)
	}
	list, ok := keys.(*types.List)
	if !ok {
		return nil, fmt.Errorf("legacy format: storage keys are %T, not a list", keys)
	}
	for _, k := range *list {
		key, _ := k.(string)
		if err := readLegacyStorage(br, storages[key], key); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// readLegacyStorage reads one storage record: int64 element count, then bytes.
func readLegacyStorage(r io.Reader, s *storage, key string) error {
	if s == nil || s.root != nil {
		return fmt.Errorf("legacy format: storage key %q is listed but not referenced", key)
	}
	var n int64
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return fmt.Errorf("storage %s: size: %w", key, err)
	}
	if n != s.numel {
		return fmt.Errorf("storage %s: %d elements on disk, %d in the pickle", key, n, s.numel)
	}
	s.data = make([]byte, n*int64(s.class.size))
	if _, err := io.ReadFull(r, s.data); err != nil {
		return fmt.Errorf("storage %s: truncated data: %w", key, err)
	}
	return nil
}

// plainPickle reads one pickle that may name no global and no storage.
func plainPickle(r *bufio.Reader) (any, error) {
	return unpickle(r, func(module, name string) (any, error) {
		return nil, fmt.Errorf("%w %s.%s", ErrForbiddenGlobal, module, name)
	}, nil)
}

package pickle

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"strings"

	gopickle "github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// Tensor is one entry of a state dict, contiguous and row-major.
type Tensor struct {
	Name  string
	DType string // safetensors dtype: "F32", "BF16", "I64", ...
	Shape []int  // outermost first; empty for a scalar
	Data  []byte // little-endian elements
	// Tied names an earlier tensor of the file with the same storage, offset,
	// shape and stride (its Data is the same slice), or is empty.
	Tied string
}

// Checkpoint is an opened PyTorch checkpoint.
type Checkpoint struct {
	Path string
	// Tensors is the state dict in file order. The Data of contiguous tensors
	// of a zip file alias a read-only memory mapping of the file where the
	// platform allows: they must not be written to and are invalid after Close.
	Tensors []Tensor
	mapping []byte // the whole file when memory-mapped, else nil
}

// Open reads the PyTorch checkpoint at path (zip or legacy format). Storages
// of a zip file are memory-mapped, not copied, when stored uncompressed (as
// torch.save stores them), so converting a checkpoint larger than memory
// works. Errors name the file and, where there is one, the storage, the
// tensor or the forbidden global.
func Open(path string) (*Checkpoint, error) {
	c, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("pytorch checkpoint %s: %w", path, err)
	}
	return c, nil
}

func open(path string) (_ *Checkpoint, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var head [4]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return nil, fmt.Errorf("too short to be a checkpoint: %w", err)
	}
	c := &Checkpoint{Path: path}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	var obj any
	switch {
	case bytes.Equal(head[:], []byte("PK\x03\x04")):
		c.mapping, _ = mapFile(f, info.Size()) // nil where mapping fails: entries are read instead
		obj, err = loadZip(f, info.Size(), c.mapping)
	case head[0] == 0x80: // a pickle PROTO opcode
		if _, err = f.Seek(0, io.SeekStart); err == nil {
			obj, err = loadLegacy(f)
		}
	default:
		err = errors.New("neither a zip nor a legacy torch.save file")
	}
	if err != nil {
		return nil, err
	}
	if c.Tensors, err = stateDict(obj); err != nil {
		return nil, err
	}
	return c, nil
}

// Close releases the memory mapping; the tensors' Data must not be used after.
func (c *Checkpoint) Close() error {
	m := c.mapping
	c.mapping = nil
	if m == nil {
		return nil
	}
	return unmapFile(m)
}

// unpickle reads one pickle from r and runs it with globals resolved by
// findClass and persistent ids (storages) by persistentLoad (nil: none allowed).
func unpickle(r *bufio.Reader, findClass func(module, name string) (any, error),
	persistentLoad func(pid *types.Tuple) (any, error)) (obj any, err error) {
	pkl, err := readPickle(r)
	if err != nil {
		return nil, err
	}
	u := gopickle.NewUnpickler(bytes.NewReader(pkl))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		pid, ok := id.(*types.Tuple)
		if !ok || pid.Len() == 0 || persistentLoad == nil {
			return nil, fmt.Errorf("persistent id %v: only storages are supported", id)
		}
		if kind, _ := pid.Get(0).(string); kind != "storage" {
			return nil, fmt.Errorf("persistent id of kind %v: only storages are supported", pid.Get(0))
		}
		return persistentLoad(pid)
	}
	u.GetExtension = func(code int) (any, error) {
		return nil, fmt.Errorf("%w: extension code %d", ErrForbiddenGlobal, code)
	}
	defer func() {
		if p := recover(); p != nil { // gopickle panics on some malformed input
			obj, err = nil, fmt.Errorf("pickle: malformed: %v", p)
		}
	}()
	return u.Load()
}

// storageID reads the (class, key, location, numel) fields common to both
// formats' persistent ids: ('storage', class, key, location, numel, ...).
func storageID(pid *types.Tuple, want int) (storageClass, string, int64, error) {
	if pid.Len() < want {
		return storageClass{}, "", 0, fmt.Errorf("storage persistent id has %d fields, want %d", pid.Len(), want)
	}
	class, ok := pid.Get(1).(storageClass)
	if !ok {
		return storageClass{}, "", 0, fmt.Errorf("storage persistent id: %v is not a storage class", pid.Get(1))
	}
	key, ok := pid.Get(2).(string)
	if !ok {
		return storageClass{}, "", 0, fmt.Errorf("storage persistent id: key %v is not a string", pid.Get(2))
	}
	numel, ok := pid.Get(4).(int)
	if !ok || numel < 0 {
		return storageClass{}, "", 0, fmt.Errorf("storage %s: size %v is not a non-negative int", key, pid.Get(4))
	}
	return class, key, int64(numel), nil
}

// loadZip reads the zip layout: <archive>/data.pkl and <archive>/data/<key>.
// Storages stored uncompressed are sliced from mapping when it is not nil.
func loadZip(f *os.File, size int64, mapping []byte) (any, error) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return nil, fmt.Errorf("truncated or corrupt zip: %w", err)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	prefix := ""
	for _, e := range zr.File {
		entries[e.Name] = e
		if dir, base := path.Split(e.Name); base == "data.pkl" && strings.Count(dir, "/") == 1 {
			prefix = dir
		}
	}
	if prefix == "" {
		return nil, errors.New("zip holds no <archive>/data.pkl: not a torch.save file")
	}
	if _, ok := entries[prefix+"constants.pkl"]; ok {
		return nil, errors.New("a TorchScript archive (torch.jit.save), not a torch.save state dict")
	}
	if e, ok := entries[prefix+"byteorder"]; ok {
		order, err := readEntry(e, 16)
		if err != nil {
			return nil, err
		}
		if string(order) != "little" {
			return nil, fmt.Errorf("%s is %q: only little-endian checkpoints are supported", e.Name, order)
		}
	}
	storages := map[string]*storage{}
	load := func(pid *types.Tuple) (any, error) {
		class, key, numel, err := storageID(pid, 5)
		if err != nil {
			return nil, err
		}
		if s, ok := storages[key]; ok {
			return s, nil
		}
		e, ok := entries[prefix+"data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage %s: no zip entry %sdata/%s", key, prefix, key)
		}
		want := numel * int64(class.size)
		if int64(e.UncompressedSize64) != want {
			return nil, fmt.Errorf("storage %s: zip entry %s holds %d bytes, want %d (%d × %s)",
				key, e.Name, e.UncompressedSize64, want, numel, class.name)
		}
		data, err := storageBytes(e, want, mapping)
		if err != nil {
			return nil, err
		}
		s := &storage{key: key, class: class, numel: numel, data: data}
		storages[key] = s
		return s, nil
	}
	e := entries[prefix+"data.pkl"]
	r, err := e.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	defer r.Close()
	obj, err := unpickle(bufio.NewReader(r), findClass, load)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e.Name, err)
	}
	return obj, nil
}

// storageBytes returns the n bytes of a storage entry: a slice of mapping,
// CRC-checked, when the entry is stored uncompressed, else a copy.
func storageBytes(e *zip.File, n int64, mapping []byte) ([]byte, error) {
	if mapping == nil || e.Method != zip.Store {
		return readEntry(e, n)
	}
	off, err := e.DataOffset()
	if err != nil || off < 0 || off+n > int64(len(mapping)) {
		return nil, fmt.Errorf("zip entry %s: data beyond the end of the file (truncated zip)", e.Name)
	}
	data := mapping[off : off+n : off+n]
	if crc32.ChecksumIEEE(data) != e.CRC32 {
		return nil, fmt.Errorf("zip entry %s: CRC-32 mismatch (corrupt file)", e.Name)
	}
	return data, nil
}

// readEntry reads a whole zip entry of at most max bytes.
func readEntry(e *zip.File, max int64) ([]byte, error) {
	if int64(e.UncompressedSize64) > max {
		return nil, fmt.Errorf("zip entry %s: %d bytes, at most %d expected", e.Name, e.UncompressedSize64, max)
	}
	r, err := e.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", e.Name, err)
	}
	defer r.Close()
	buf := make([]byte, e.UncompressedSize64)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", e.Name, err)
	}
	return buf, nil
}

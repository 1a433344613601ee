package safetensors

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Offsets are the [begin, end) byte offsets of the data, relative to the end of the header.
	Offsets [2]int64
}

// Numel returns the number of elements, the product of Shape (1 for a scalar).
func (t TensorInfo) Numel() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// File is an opened safetensors file. Its header has been fully validated, so every accessor
// indexes only within the file. A File is safe for concurrent reads; Close must not race them.
type File struct {
	// Path is the file's path, as given to Open; errors name it.
	Path string
	// Metadata is the header's __metadata__ map, nil when the header has none.
	Metadata map[string]string

	tensors map[string]TensorInfo
	names   []string // sorted
	data    []byte   // the bytes after the header; aliases mapping when mapped
	mapping []byte   // the whole file when memory-mapped, else nil
	closed  bool
}

// Open opens the file at path and validates its header. The data section is memory-mapped
// read-only where the platform allows, else read into memory. Slices returned by Bytes and
// F32View alias the mapping: they must not be written to and are invalid after Close, and
// a file truncated by another process while mapped makes access to them fault.
func Open(path string) (*File, error) { return open(path, true) }

// open opens and validates the file at path, mapping its data when useMmap is set and the
// platform allows, else reading it.
func open(path string, useMmap bool) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fileErr(path, "not a regular file")
	}
	size := st.Size()
	h, n, err := readHeader(path, fd, size)
	if err != nil {
		return nil, err
	}
	f := newFile(path, h)
	if useMmap {
		if m, err := mapFile(fd, size); err == nil {
			f.mapping, f.data = m, m[8+n:]
			return f, nil
		}
	}
	f.data = make([]byte, size-8-n)
	if _, err := fd.ReadAt(f.data, 8+n); err != nil {
		return nil, fileErr(path, "reading the data section: %v", err)
	}
	return f, nil
}

// ReadFile reads the whole file at path into memory and validates it. Unlike Open, the
// result does not depend on the file after ReadFile returns.
func ReadFile(path string) (*File, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return Parse(path, buf)
}

// Parse validates buf as the complete bytes of a safetensors file; path is only used to name
// the file in errors. The File aliases buf, which must not change while the File is used.
func Parse(path string, buf []byte) (*File, error) {
	if len(buf) < 8 {
		return nil, fileErr(path, "%d bytes is too short for the 8-byte header length", len(buf))
	}
	n, err := headerLen(path, binary.LittleEndian.Uint64(buf), int64(len(buf)))
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(path, buf[8:8+n], int64(len(buf))-8-n)
	if err != nil {
		return nil, err
	}
	f := newFile(path, h)
	f.data = buf[8+n:]
	return f, nil
}

// readHeader reads and validates the header of the size-byte file r, returning it and its
// length. It allocates no more than the header length, which is capped and checked against
// the file size before anything is allocated.
func readHeader(path string, r io.ReaderAt, size int64) (*header, int64, error) {
	if size < 8 {
		return nil, 0, fileErr(path, "%d bytes is too short for the 8-byte header length", size)
	}
	var word [8]byte
	if _, err := r.ReadAt(word[:], 0); err != nil {
		return nil, 0, fileErr(path, "reading the header length: %v", err)
	}
	n, err := headerLen(path, binary.LittleEndian.Uint64(word[:]), size)
	if err != nil {
		return nil, 0, err
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, 0, fileErr(path, "reading the header: %v", err)
	}
	h, err := parseHeader(path, buf, size-8-n)
	return h, n, err
}

// headerLen checks the header length n read from a size-byte file.
func headerLen(path string, n uint64, size int64) (int64, error) {
	if n > MaxHeaderSize {
		return 0, fileErr(path, "header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return 0, fileErr(path, "header length %d beyond the end of the %d-byte file", n, size)
	}
	return int64(n), nil
}

func newFile(path string, h *header) *File {
	f := &File{Path: path, Metadata: h.metadata, tensors: h.tensors}
	f.names = make([]string, 0, len(h.tensors))
	for name := range h.tensors {
		f.names = append(f.names, name)
	}
	slices.Sort(f.names)
	return f
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string { return slices.Clone(f.names) }

// Info returns the description of the named tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	t, ok := f.tensors[name]
	t.Shape = slices.Clone(t.Shape)
	return t, ok
}

// Bytes returns the raw little-endian bytes of the named tensor, without copying: the slice
// aliases the file's data (see Open) and must not be written to.
func (f *File) Bytes(name string) ([]byte, error) {
	if f.closed {
		return nil, fileErr(f.Path, "file is closed")
	}
	t, ok := f.tensors[name]
	if !ok {
		return nil, tensorErr(f.Path, name, "no such tensor")
	}
	return f.data[t.Offsets[0]:t.Offsets[1]:t.Offsets[1]], nil
}

// Tensor returns the named tensor as a Tensor value whose Data aliases the file's data, ready
// to be passed to Write.
func (f *File) Tensor(name string) (Tensor, error) {
	b, err := f.Bytes(name)
	if err != nil {
		return Tensor{}, err
	}
	t := f.tensors[name]
	return Tensor{Name: name, DType: t.DType, Shape: slices.Clone(t.Shape), Data: b}, nil
}

// Close releases the mapping or buffer. Slices obtained from the File must not be used after
// Close. Close is idempotent.
func (f *File) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	m := f.mapping
	f.data, f.mapping = nil, nil
	if m != nil {
		if err := unmapFile(m); err != nil {
			return fileErr(f.Path, "unmapping: %v", err)
		}
	}
	return nil
}

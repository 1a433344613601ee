package pickle

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// pk writes protocol-2 pickle opcodes by hand, the subset torch.save emits.
type pk struct{ bytes.Buffer }

func (p *pk) proto()      { p.Write([]byte{0x80, 2}) }
func (p *pk) stop()       { p.WriteByte('.') }
func (p *pk) mark()       { p.WriteByte('(') }
func (p *pk) tuple()      { p.WriteByte('t') }
func (p *pk) emptyTuple() { p.WriteByte(')') }
func (p *pk) emptyDict()  { p.WriteByte('}') }
func (p *pk) reduce()     { p.WriteByte('R') }
func (p *pk) build()      { p.WriteByte('b') }
func (p *pk) setitems()   { p.WriteByte('u') }
func (p *pk) binpersid()  { p.WriteByte('Q') }
func (p *pk) boolean(v bool) {
	if v {
		p.WriteByte(0x88)
	} else {
		p.WriteByte(0x89)
	}
}
func (p *pk) put(i byte) { p.Write([]byte{'q', i}) }
func (p *pk) get(i byte) { p.Write([]byte{'h', i}) }
func (p *pk) global(module, name string) {
	p.WriteByte('c')
	p.WriteString(module + "\n" + name + "\n")
}
func (p *pk) str(s string) {
	p.WriteByte('X')
	_ = binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}
func (p *pk) int(v int) {
	p.WriteByte('J')
	_ = binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
}
func (p *pk) ints(vs []int) {
	p.mark()
	for _, v := range vs {
		p.int(v)
	}
	p.tuple()
}

// entry is one state-dict entry to pickle.
type entry struct {
	name, key, class string
	numel, offset    int
	shape, stride    []int
	parameter        bool // wrap in torch._utils._rebuild_parameter
	// view, in the legacy format, makes the storage a view (view key, offset,
	// size) into storage key, as torch < 0.4 wrote storage slices.
	view *legacyView
}

type legacyView struct {
	key          string
	offset, size int
}

// tensor writes the pickle of one tensor, as torch.save does: a
// _rebuild_tensor_v2 call whose storage is a persistent id. legacy adds the
// sixth (view metadata) field of the legacy format's persistent id.
func (p *pk) tensor(e entry, legacy bool) {
	if e.parameter {
		p.global("torch._utils", "_rebuild_parameter")
		p.mark()
	}
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.mark()
	p.mark()
	p.str("storage")
	p.global("torch", e.class)
	p.str(e.key)
	p.str("cpu")
	p.int(e.numel)
	switch {
	case legacy && e.view != nil:
		p.mark()
		p.str(e.view.key)
		p.int(e.view.offset)
		p.int(e.view.size)
		p.tuple()
	case legacy:
		p.WriteByte('N') // no view
	}
	p.tuple()
	p.binpersid()
	p.int(e.offset)
	p.ints(e.shape)
	p.ints(e.stride)
	p.boolean(false)
	p.global("collections", "OrderedDict")
	p.emptyTuple()
	p.reduce()
	p.tuple()
	p.reduce()
	if e.parameter {
		p.boolean(true)
		p.global("collections", "OrderedDict")
		p.emptyTuple()
		p.reduce()
		p.tuple()
		p.reduce()
	}
}

// stateDictPickle pickles an OrderedDict of entries with its _metadata
// attribute, as torch.save(model.state_dict()) does.
func stateDictPickle(entries []entry, legacy bool) []byte {
	var p pk
	p.proto()
	p.global("collections", "OrderedDict")
	p.put(0)
	p.emptyTuple()
	p.reduce()
	p.mark()
	for _, e := range entries {
		p.str(e.name)
		p.tensor(e, legacy)
	}
	p.setitems()
	p.emptyDict() // BUILD state: {'_metadata': OrderedDict()}
	p.str("_metadata")
	p.get(0)
	p.emptyTuple()
	p.reduce()
	p.Write([]byte{'s'}) // SETITEM
	p.build()
	p.stop()
	return p.Bytes()
}

// writeZip writes a zip-format checkpoint: archive/data.pkl, archive/byteorder
// and archive/data/<key> for each storage, stored uncompressed as torch.save does.
func writeZip(t *testing.T, pkl []byte, storages map[string][]byte) string {
	t.Helper()
	return writeZipMethod(t, pkl, storages, zip.Store)
}

// writeZipMethod is writeZip with entries compressed by method.
func writeZipMethod(t *testing.T, pkl []byte, storages map[string][]byte, method uint16) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	add("archive/data.pkl", pkl)
	add("archive/byteorder", []byte("little"))
	for k, v := range storages {
		add("archive/data/"+k, v)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "pytorch_model.bin", buf.Bytes())
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// f32 encodes float32 values little-endian.
func f32(vs ...float32) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.LittleEndian, vs)
	return b.Bytes()
}

// load opens path and returns its tensors; the checkpoint is closed when the
// test ends.
func load(t testing.TB, path string) ([]Tensor, error) {
	c, err := Open(path)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.Tensors, nil
}

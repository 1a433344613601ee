package tensorboard

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FileVersion is the file_version of the first event of every file.
const FileVersion = "brain.Event:2"

// Writer appends scalar events to one event file. It is not safe for concurrent use.
type Writer struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// FileName returns the name TensorFlow 2's writer gives the n-th event file its process pid
// creates at t on host: events.out.tfevents.<unix seconds>.<host>.<pid>.<n>.
func FileName(t time.Time, host string, pid, n int) string {
	return fmt.Sprintf("events.out.tfevents.%d.%s.%d.%d", t.Unix(), host, pid, n)
}

// Create creates a new event file in dir named by FileName (the first n not taken) and
// writes its file_version event.
func Create(dir string, t time.Time, host string) (*Writer, error) {
	host = strings.NewReplacer("/", "_", string(filepath.Separator), "_").Replace(host)
	var f *os.File
	var path string
	for n := 0; ; n++ {
		var err error
		path = filepath.Join(dir, FileName(t, host, os.Getpid(), n))
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("tensorboard: %w", err)
		}
	}
	tw := &Writer{path: path, f: f, w: bufio.NewWriter(f)}
	if err := tw.record(encodeEvent(wallTime(t), 0, FileVersion, nil)); err != nil {
		f.Close()
		return nil, err
	}
	return tw, nil
}

// Path returns the event file's path.
func (tw *Writer) Path() string { return tw.path }

// Scalar is one tagged value.
type Scalar struct {
	Tag   string
	Value float32
}

// Scalars writes one event holding the given values at step and time t.
func (tw *Writer) Scalars(step int64, t time.Time, values ...Scalar) error {
	return tw.record(encodeEvent(wallTime(t), step, "", values))
}

// Flush writes buffered events to the file.
func (tw *Writer) Flush() error {
	if err := tw.w.Flush(); err != nil {
		return fmt.Errorf("tensorboard %s: %w", tw.path, err)
	}
	return nil
}

// Close flushes and closes the file.
func (tw *Writer) Close() error {
	err := tw.Flush()
	if cerr := tw.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("tensorboard %s: %w", tw.path, cerr)
	}
	return err
}

// wallTime is t in seconds since the Unix epoch, as time.time() gives it.
func wallTime(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

// record writes data as one TFRecord.
func (tw *Writer) record(data []byte) error {
	var hdr [12]byte
	binary.LittleEndian.PutUint64(hdr[:8], uint64(len(data)))
	binary.LittleEndian.PutUint32(hdr[8:], MaskedCRC(hdr[:8]))
	var tail [4]byte
	binary.LittleEndian.PutUint32(tail[:], MaskedCRC(data))
	for _, b := range [][]byte{hdr[:], data, tail[:]} {
		if _, err := tw.w.Write(b); err != nil {
			return fmt.Errorf("tensorboard %s: %w", tw.path, err)
		}
	}
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is TFRecord's masked CRC-32C of b.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// Protocol-buffer wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// encodeEvent serializes an Event; fileVersion and values are left out when empty.
func encodeEvent(wall float64, step int64, fileVersion string, values []Scalar) []byte {
	b := appendKey(nil, 1, wireFixed64)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	if step != 0 {
		b = appendKey(b, 2, wireVarint)
		b = binary.AppendUvarint(b, uint64(step))
	}
	if fileVersion != "" {
		b = appendBytes(b, 3, []byte(fileVersion))
	}
	if len(values) > 0 {
		var summary []byte
		for _, v := range values {
			val := appendBytes(nil, 1, []byte(v.Tag))
			val = appendKey(val, 2, wireFixed32)
			val = binary.LittleEndian.AppendUint32(val, math.Float32bits(v.Value))
			summary = appendBytes(summary, 1, val)
		}
		b = appendBytes(b, 5, summary)
	}
	return b
}

func appendKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

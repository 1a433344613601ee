package tensorboard

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"testing"
	"time"
)

// event is a decoded Event with the fields this package writes.
type event struct {
	wall        float64
	step        int64
	fileVersion string
	values      map[string]float32
}

// readRecords splits an event file into TFRecords, checking both CRCs of each.
func readRecords(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var recs [][]byte
	for len(b) > 0 {
		if len(b) < 12 {
			t.Fatalf("truncated record header: %d bytes", len(b))
		}
		n := binary.LittleEndian.Uint64(b)
		if got, want := binary.LittleEndian.Uint32(b[8:]), MaskedCRC(b[:8]); got != want {
			t.Fatalf("length CRC %#x, want %#x", got, want)
		}
		data := b[12 : 12+n]
		if got, want := binary.LittleEndian.Uint32(b[12+n:]), MaskedCRC(data); got != want {
			t.Fatalf("data CRC %#x, want %#x", got, want)
		}
		recs = append(recs, data)
		b = b[16+n:]
	}
	return recs
}

// field reads one protocol-buffer field: its number, wire type and payload.
func field(t *testing.T, b []byte) (num int, wire int, payload []byte, varint uint64, rest []byte) {
	t.Helper()
	key, n := binary.Uvarint(b)
	if n <= 0 {
		t.Fatalf("bad key in % x", b)
	}
	b = b[n:]
	num, wire = int(key>>3), int(key&7)
	switch wire {
	case wireVarint:
		v, n := binary.Uvarint(b)
		return num, wire, nil, v, b[n:]
	case wireFixed64:
		return num, wire, b[:8], 0, b[8:]
	case wireFixed32:
		return num, wire, b[:4], 0, b[4:]
	case wireBytes:
		l, n := binary.Uvarint(b)
		return num, wire, b[n : n+int(l)], 0, b[n+int(l):]
	}
	t.Fatalf("unexpected wire type %d", wire)
	return
}

func decodeEvent(t *testing.T, b []byte) event {
	e := event{values: map[string]float32{}}
	for len(b) > 0 {
		num, _, payload, v, rest := field(t, b)
		switch num {
		case 1:
			e.wall = math.Float64frombits(binary.LittleEndian.Uint64(payload))
		case 2:
			e.step = int64(v)
		case 3:
			e.fileVersion = string(payload)
		case 5:
			for s := payload; len(s) > 0; {
				_, _, val, _, r := field(t, s)
				var tag string
				var x float32
				for len(val) > 0 {
					n, _, p, _, r2 := field(t, val)
					if n == 1 {
						tag = string(p)
					} else if n == 2 {
						x = math.Float32frombits(binary.LittleEndian.Uint32(p))
					}
					val = r2
				}
				e.values[tag] = x
				s = r
			}
		default:
			t.Fatalf("unexpected field %d", num)
		}
		b = rest
	}
	return e
}

func TestMaskedCRC(t *testing.T) {
	// CRC-32C("123456789") is the standard check value 0xE3069283.
	var c uint32 = 0xE3069283
	if got, want := MaskedCRC([]byte("123456789")), (c>>15|c<<17)+0xa282ead8; got != want {
		t.Errorf("MaskedCRC = %#x, want %#x", got, want)
	}
}

func TestEncodeEventGolden(t *testing.T) {
	// Event{wall_time: 1.5, step: 3, summary{value{tag: "a", simple_value: 2}}}, encoded by hand
	// from the proto definitions.
	want := []byte{
		0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, // 1: fixed64 1.5
		0x10, 0x03, // 2: varint 3
		0x2a, 0x0a, // 5: 10 bytes of Summary
		0x0a, 0x08, // Summary.value: 8 bytes
		0x0a, 0x01, 'a', // Value.tag
		0x15, 0, 0, 0, 0x40, // Value.simple_value fixed32 2.0
	}
	got := encodeEvent(1.5, 3, "", []Scalar{{"a", 2}})
	if fmt.Sprintf("% x", got) != fmt.Sprintf("% x", want) {
		t.Errorf("encodeEvent:\n got % x\nwant % x", got, want)
	}
}

func TestWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Unix(1700000000, 250_000_000)
	w, err := Create(dir, t0, "host/with/slash")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars(10, t0.Add(time.Second), Scalar{"train/loss", 2.5}, Scalar{"train/learning_rate", 1e-3}); err != nil {
		t.Fatal(err)
	}
	if err := w.Scalars(20, t0.Add(2*time.Second), Scalar{"train/loss", 1.25}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%s/events.out.tfevents.1700000000.host_with_slash.%d.0", dir, os.Getpid()); w.Path() != want {
		t.Errorf("path %s, want %s", w.Path(), want)
	}
	again, err := Create(dir, t0, "host/with/slash")
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	if want := fmt.Sprintf("%s/events.out.tfevents.1700000000.host_with_slash.%d.1", dir, os.Getpid()); again.Path() != want {
		t.Errorf("second file in the same second: %s, want %s", again.Path(), want)
	}
	b, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, b)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	first := decodeEvent(t, recs[0])
	if first.fileVersion != FileVersion || first.wall != 1700000000.25 {
		t.Errorf("first event %+v", first)
	}
	e := decodeEvent(t, recs[1])
	if e.step != 10 || e.wall != 1700000001.25 || e.values["train/loss"] != 2.5 || e.values["train/learning_rate"] != 1e-3 {
		t.Errorf("second event %+v", e)
	}
	if e := decodeEvent(t, recs[2]); e.step != 20 || e.values["train/loss"] != 1.25 {
		t.Errorf("third event %+v", e)
	}
}

package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock the test advances by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newLogBar(total int64, unit Unit, buf *bytes.Buffer, clock *fakeClock) *Bar {
	no := false
	logger := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	return NewWith(total, "model.safetensors", unit, Options{Out: buf, Terminal: &no, Logger: logger, Interval: 5 * time.Second, Now: clock.now})
}

func TestLogLines(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := newLogBar(1000, Bytes, &buf, clock)
	b.Skip(200) // resumed: 200 bytes were already on disk
	clock.advance(time.Second)
	b.Add(100) // before the interval: no line
	if buf.Len() != 0 {
		t.Fatalf("a line was logged before the interval: %q", buf.String())
	}
	clock.advance(4 * time.Second)
	b.Add(400) // 500 new bytes in 5 s: 100 B/s, 300 left: 3 s
	b.Finish()
	b.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (one progress, one done):\n%s", len(lines), buf.String())
	}
	for _, want := range []string{"msg=progress", `done="700 B"`, `total="1.0 kB"`, "percent=70.0", `rate="100 B/s"`, "eta=3s"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("progress line %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "msg=done") || strings.Contains(lines[1], "eta=") {
		t.Errorf("final line %q: want msg=done and no eta", lines[1])
	}
}

func TestUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := newLogBar(0, Items, &buf, clock)
	clock.advance(10 * time.Second)
	b.Add(20)
	b.Finish()
	out := buf.String()
	if strings.Contains(out, "total=") || strings.Contains(out, "eta=") {
		t.Errorf("unknown total printed a total or an eta:\n%s", out)
	}
	if !strings.Contains(out, "done=20") || !strings.Contains(out, `rate=2/s`) {
		t.Errorf("want done=20 rate=2/s in:\n%s", out)
	}
}

func TestTerminalBar(t *testing.T) {
	var buf bytes.Buffer
	yes := true
	b := NewWith(100, "convert", Items, Options{Out: &buf, Terminal: &yes})
	for range 100 {
		b.Add(1)
	}
	b.Finish()
	if out := buf.String(); !strings.Contains(out, "convert") || !strings.Contains(out, "100/100") {
		t.Errorf("drawn bar lacks the description or the count:\n%q", out)
	}
}

func TestConcurrentWrites(t *testing.T) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := newLogBar(8000, Bytes, &buf, clock)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				_, _ = b.Write([]byte{0})
			}
		})
	}
	wg.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done != 8000 {
		t.Errorf("done = %d, want 8000", b.done)
	}
}

func TestFormatBytes(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0 B"},
		{"below_kilo", 999, "999 B"},
		{"kilo", 1500, "1.5 kB"},
		{"mega", 2.5e6, "2.5 MB"},
		{"giga", 1.2e9, "1.2 GB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := FormatBytes(c.in); got != c.want {
				t.Errorf("FormatBytes(%v) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Unit is what a Bar counts.
type Unit int

const (
	// Items counts discrete things: steps, tensors, examples.
	Items Unit = iota
	// Bytes counts bytes; rates and totals print as kB, MB, GB.
	Bytes
)

// DefaultInterval is the time between two log lines when stderr is not a terminal.
const DefaultInterval = 5 * time.Second

// Options configure a Bar beyond New's defaults. The zero value of each field
// means its default.
type Options struct {
	// Out is where the bar or the log lines go (default os.Stderr).
	Out io.Writer
	// Terminal forces the choice between a drawn bar (true) and log lines
	// (false). When nil the choice follows whether Out is a terminal.
	Terminal *bool
	// Interval is the minimum time between two log lines (default DefaultInterval).
	Interval time.Duration
	// Logger writes the log lines (default slog.Default() when Out is unset,
	// else a text slog.Logger on Out).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
}

// Bar reports the progress of one piece of work.
type Bar struct {
	desc  string
	unit  Unit
	total int64 // <= 0: unknown

	mu       sync.Mutex
	done     int64 // all units done, skipped ones included
	skipped  int64 // units done before this run
	start    time.Time
	lastLog  time.Time
	finished bool

	drawn    *progressbar.ProgressBar // nil in log mode
	logger   *slog.Logger
	interval time.Duration
	now      func() time.Time
}

// New returns a Bar on stderr for work of total units (total <= 0: unknown).
func New(total int64, desc string, unit Unit) *Bar {
	return NewWith(total, desc, unit, Options{})
}

// NewBytes returns a Bar on stderr for a transfer of total bytes (total <= 0: unknown).
func NewBytes(total int64, desc string) *Bar {
	return New(total, desc, Bytes)
}

// NewWith is New with explicit Options.
func NewWith(total int64, desc string, unit Unit, o Options) *Bar {
	if o.Out == nil {
		o.Out = os.Stderr
		if o.Logger == nil {
			o.Logger = slog.Default()
		}
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	b := &Bar{desc: desc, unit: unit, total: total, interval: o.Interval, now: o.Now}
	b.start = b.now()
	b.lastLog = b.start
	terminal := isTerminal(o.Out)
	if o.Terminal != nil {
		terminal = *o.Terminal
	}
	if terminal {
		b.drawn = newDrawn(total, desc, unit, o.Out)
		return b
	}
	b.logger = o.Logger
	if b.logger == nil {
		b.logger = slog.New(slog.NewTextHandler(o.Out, nil))
	}
	return b
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newDrawn(total int64, desc string, unit Unit, out io.Writer) *progressbar.ProgressBar {
	max := total
	if max <= 0 {
		max = -1 // a spinner
	}
	opts := []progressbar.Option{
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }),
	}
	if unit == Bytes {
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionShowTotalBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts())
	}
	return progressbar.NewOptions64(max, opts...)
}

// Add records n more units done in this run.
func (b *Bar) Add(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	if b.drawn != nil {
		_ = b.drawn.Add64(n) // drawing errors (a closed terminal) must not stop the work
		return
	}
	if now := b.now(); now.Sub(b.lastLog) >= b.interval {
		b.lastLog = now
		b.log("progress", now)
	}
}

// Skip records n units that were done before this run (the bytes already on
// disk when a download resumes): they advance the bar but not the rate. A
// negative n takes units back (a download that has to start again).
func (b *Bar) Skip(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	b.skipped += n
	if b.drawn != nil {
		_ = b.drawn.Set64(b.done)
	}
}

// Done returns the units done so far, skipped ones included.
func (b *Bar) Done() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}

// Write adds len(p) units; it never fails.
func (b *Bar) Write(p []byte) (int, error) {
	b.Add(int64(len(p)))
	return len(p), nil
}

// Finish ends the bar: it completes the drawn bar, or writes a last log line.
// Calling it again does nothing.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	if b.drawn != nil {
		if b.total <= 0 || b.done >= b.total {
			_ = b.drawn.Finish()
		} else {
			_ = b.drawn.Exit() // stopped early: keep the bar where it is
		}
		return
	}
	b.log("done", b.now())
}

// log writes one slog line; b.mu is held.
func (b *Bar) log(msg string, now time.Time) {
	elapsed := now.Sub(b.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(b.done-b.skipped) / s
	}
	attrs := []any{"task", b.desc, "done", b.format(float64(b.done))}
	if b.total > 0 {
		attrs = append(attrs, "total", b.format(float64(b.total)),
			"percent", fmt.Sprintf("%.1f", 100*float64(b.done)/float64(b.total)))
	}
	attrs = append(attrs, "rate", b.format(rate)+"/s", "elapsed", elapsed.Round(time.Second).String())
	if msg == "progress" && b.total > 0 && rate > 0 {
		eta := time.Duration(float64(b.total-b.done) / rate * float64(time.Second))
		attrs = append(attrs, "eta", eta.Round(time.Second).String())
	}
	b.logger.Info(msg, attrs...)
}

// format prints a count in the bar's unit.
func (b *Bar) format(v float64) string {
	if b.unit != Bytes {
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d", int64(v))
		}
		return fmt.Sprintf("%.1f", v)
	}
	return FormatBytes(v)
}

// FormatBytes prints a byte count with a decimal (SI) unit: "512 B", "1.5 MB".
func FormatBytes(v float64) string {
	const units = "kMGTPE"
	if v < 1000 {
		return fmt.Sprintf("%.0f B", v)
	}
	i := -1
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, units[i])
}

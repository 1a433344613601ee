// Package progress reports the progress of long work (downloads, conversions,
// training epochs) on stderr.
//
// When stderr is a terminal a Bar draws a live progress bar with the rate and
// the estimated time left (github.com/schollz/progressbar/v3). Otherwise — in
// CI logs, under nohup, in a Kubernetes pod — it writes a log/slog line every
// few seconds with done/total, the rate and the ETA, and one final line from
// Finish, so logs stay readable and greppable.
//
// A Bar counts units: Items (steps, tensors, examples) or Bytes. Units done
// before this run (a resumed download) are reported with Skip: they advance the
// bar but do not count towards the rate. A Bar is safe for concurrent use and
// is an io.Writer (each Write adds len(p)), so it can sit in an io.MultiWriter
// beside the file a download writes.
package progress

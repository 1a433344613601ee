// Package atomicfile replaces files atomically, so that a crash or a full disk never leaves a
// checkpoint, index or results file half-written: a reader sees either the old content or
// the complete new content.
//
// The recipe is the POSIX one: write a temporary file in the destination's directory (so
// the rename cannot cross file systems), fsync it, rename it over the destination, then fsync
// the directory so the rename itself is durable. On any error the temporary file is removed
// and the destination is left as it was.
package atomicfile

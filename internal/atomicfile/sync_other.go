//go:build !unix

package atomicfile

// isInvalid reports false: outside unix, only ErrUnsupported is tolerated from a directory fsync.
func isInvalid(error) bool { return false }

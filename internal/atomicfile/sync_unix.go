//go:build unix

package atomicfile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// isInvalid reports whether err is EINVAL, what fsync returns on a directory on file systems
// that do not support it.
func isInvalid(err error) bool { return errors.Is(err, unix.EINVAL) }

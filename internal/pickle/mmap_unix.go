//go:build unix

package pickle

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the size-byte file f read-only and private. The mapping outlives f.
func mapFile(f *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, unix.EINVAL
	}
	return unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(m []byte) error { return unix.Munmap(m) }

//go:build unix

package safetensors

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the size-byte file fd read-only and private. The mapping outlives fd.
func mapFile(fd *os.File, size int64) ([]byte, error) {
	if size <= 0 || int64(int(size)) != size {
		return nil, unix.EINVAL
	}
	return unix.Mmap(int(fd.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_PRIVATE)
}

// unmapFile releases a mapping made by mapFile.
func unmapFile(m []byte) error { return unix.Munmap(m) }

//go:build !unix

package safetensors

import (
	"errors"
	"os"
)

// mapFile reports that this platform has no memory mapping, so Open reads the data instead.
func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

// unmapFile is never called without a mapping.
func unmapFile([]byte) error { return nil }

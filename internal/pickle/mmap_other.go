//go:build !unix

package pickle

import (
	"errors"
	"os"
)

// mapFile is not available here: storages are read into memory instead.
func mapFile(*os.File, int64) ([]byte, error) { return nil, errors.ErrUnsupported }

// unmapFile has nothing to release.
func unmapFile([]byte) error { return nil }

//go:build !unix

package mamba

import "time"

// processCPU is unavailable here; CPU-time metrics then read 0.
func processCPU() time.Duration { return 0 }

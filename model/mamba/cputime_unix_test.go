//go:build unix

package mamba

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time of this process so far, for figures
// that stay meaningful when the machine is shared (wall time is not).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

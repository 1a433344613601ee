//go:build unix

package neox

import "syscall"

// processCPUSeconds is the user+system CPU time of the process so far; under
// a loaded machine it tells the work done apart from time spent waiting.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

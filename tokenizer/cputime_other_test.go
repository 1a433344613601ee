//go:build !unix

package tokenizer

// cpuSeconds is unavailable here; benchmarks then omit MB/cpu-s.
func cpuSeconds() float64 { return 0 }

package kernel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

var (
	threads     atomic.Int64
	threadsOnce sync.Once
)

// SetThreads sets how many threads one kernel call may use: OpenBLAS's
// thread count (openblas_set_num_threads) and the goroutines of the Go and
// bf16 kernels. The default, taken at the first kernel call, is
// runtime.GOMAXPROCS(0), which honours container CPU limits where OpenBLAS's
// own default (the host's core count) does not. SetThreads panics if n < 1.
//
// OpenBLAS threads spin for a while after each call. Callers that run their
// own compute goroutines next to kernel calls (a worker pool of independent
// runs, say) should call SetThreads(1) so that the two do not contend for
// the same cores.
func SetThreads(n int) {
	if n < 1 {
		panic(fmt.Sprintf("kernel.SetThreads: n=%d < 1", n))
	}
	threads.Store(int64(n))
	setBackendThreads(n)
}

// Threads reports the thread count kernel calls use (see SetThreads).
func Threads() int {
	ensureThreads()
	return int(threads.Load())
}

// ensureThreads applies the default thread count unless SetThreads ran first.
func ensureThreads() {
	threadsOnce.Do(func() {
		if threads.Load() == 0 {
			SetThreads(runtime.GOMAXPROCS(0))
		}
	})
}

// ParallelFor runs body(lo, hi) over [0, n) split into at most Threads()
// contiguous chunks whose bounds are multiples of align (except the last),
// on goroutines, and waits for them. The calling goroutine runs the last
// chunk itself (all of [0, n) when one chunk suffices). The kernels of this
// package and of nn split their work with it.
func ParallelFor(n, align int, body func(lo, hi int)) {
	chunks := min(Threads(), (n+align-1)/align)
	if chunks <= 1 {
		body(0, n)
		return
	}
	blocks := (n + align - 1) / align
	var wg sync.WaitGroup
	lo := 0
	for t := range chunks - 1 {
		start, end := lo, min(n, lo+(blocks*(t+1)/chunks-blocks*t/chunks)*align)
		wg.Go(func() { body(start, end) })
		lo = end
	}
	body(lo, n)
	wg.Wait()
}

package train

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkElems is the elements per task of forChunks: large enough that scheduling is noise,
// small enough to spread one large tensor over the cores.
const chunkElems = 1 << 16

// forChunks calls f(t, lo, hi) for consecutive ranges [lo, hi) of at most chunkElems covering
// 0..lens[t] for every tensor t, on up to GOMAXPROCS goroutines. f must touch only elements
// lo..hi of tensor t: each element's result then does not depend on the scheduling.
func forChunks(lens []int, f func(t, lo, hi int)) {
	type task struct{ t, lo, hi int }
	var tasks []task
	for t, n := range lens {
		for lo := 0; lo < n; lo += chunkElems {
			tasks = append(tasks, task{t, lo, min(lo+chunkElems, n)})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	if workers <= 1 {
		for _, k := range tasks {
			f(k.t, k.lo, k.hi)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(tasks)); i = next.Add(1) - 1 {
				k := tasks[i]
				f(k.t, k.lo, k.hi)
			}
		})
	}
	wg.Wait()
}

// forEach calls f(i) for i in 0..n-1 on up to GOMAXPROCS goroutines.
func forEach(n int, f func(i int)) {
	lens := make([]int, n)
	for i := range lens {
		lens[i] = 1
	}
	forChunks(lens, func(t, _, _ int) { f(t) })
}

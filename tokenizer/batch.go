package tokenizer

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// EncodeBatch encodes each text, spreading the texts over GOMAXPROCS
// goroutines (each with its own word cache). out[i] holds the ids of
// texts[i].
func (t *Tokenizer) EncodeBatch(texts []string, opt EncodeOptions) [][]int32 {
	out := make([][]int32, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			e := t.pool.Get().(*encoder)
			defer t.pool.Put(e)
			for {
				i := int(next.Add(1) - 1)
				if i >= len(texts) {
					return
				}
				out[i] = t.encode(e, nil, texts[i], opt)
			}
		})
	}
	wg.Wait()
	return out
}

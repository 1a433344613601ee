package tokenizer

// BPE merges a word's symbols (at first one per byte) pairwise: while some
// adjacent pair has a merge, the pair with the lowest rank (position in
// "merges") becomes its merged token, the leftmost pair first on a tie. This
// is tokenizers' Word::merge_all without dropout. Two implementations give
// the same result: mergeSmall (a linear scan, for the short words of real
// text) and mergeHeap (a priority queue, O(n log n) for long runs).

// mergeTable maps a pair of ids, packed as a<<32|b, to rank<<32|merged id.
// Comparing packed values compares ranks, and a rank names one pair. It is
// an open-addressing hash table (linear probing, at most half full): the
// lookups are most of the cost of BPE on words not yet cached.
type mergeTable struct {
	keys []uint64 // emptyKey where free
	vals []uint64
	mask uint64
}

// noMerge is larger than every packed rank.
const noMerge = ^uint64(0)

// emptyKey is no pair: ids are below 2^31.
const emptyKey = ^uint64(0)

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newMergeTable(n int) mergeTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t := mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), mask: uint64(size - 1)}
	for i := range t.keys {
		t.keys[i] = emptyKey
	}
	return t
}

// slot hashes a key with a Fibonacci multiply; the high bits are the best
// mixed, so they pick the slot.
func (t mergeTable) slot(key uint64) uint64 { return (key * 0x9E3779B97F4A7C15) >> 32 & t.mask }

// set adds or replaces a pair; a later merge of the same pair replaces an
// earlier one, as in tokenizers' MergeMap.
func (t mergeTable) set(key, val uint64) {
	i := t.slot(key)
	for t.keys[i] != emptyKey && t.keys[i] != key {
		i = (i + 1) & t.mask
	}
	t.keys[i], t.vals[i] = key, val
}

func (t mergeTable) lookup(a, b int32) uint64 {
	key := pairKey(a, b)
	for i := t.slot(key); ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case key:
			return t.vals[i]
		case emptyKey:
			return noMerge
		}
	}
}

// smallWord is the longest word (in symbols) mergeSmall handles; its cost
// grows as the square of the length.
const smallWord = 48

// merge merges sym in place and returns the merged prefix. scratch is
// reusable space for the pair ranks.
func (t mergeTable) merge(sym []int32, scratch *mergeScratch) []int32 {
	if len(sym) <= smallWord {
		return t.mergeSmall(sym, scratch)
	}
	return t.mergeHeap(sym, scratch)
}

// mergeScratch is reused across words so that merging allocates nothing
// once warm.
type mergeScratch struct {
	ranks []uint64
	next  []int32
	prev  []int32
	heap  []heapEntry
}

func (t mergeTable) mergeSmall(sym []int32, s *mergeScratch) []int32 {
	if len(sym) < 2 {
		return sym
	}
	// ranks[i] is the packed rank of the pair (sym[i], sym[i+1]).
	ranks := append(s.ranks[:0], make([]uint64, len(sym)-1)...)
	s.ranks = ranks
	for i := range ranks {
		ranks[i] = t.lookup(sym[i], sym[i+1])
	}
	for len(ranks) > 0 {
		best, bi := noMerge, -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		sym[bi] = int32(uint32(best))
		sym = append(sym[:bi+1], sym[bi+2:]...)
		ranks = append(ranks[:bi], ranks[bi+1:]...)
		if bi > 0 {
			ranks[bi-1] = t.lookup(sym[bi-1], sym[bi])
		}
		if bi < len(ranks) {
			ranks[bi] = t.lookup(sym[bi], sym[bi+1])
		}
	}
	return sym
}

// heapEntry is a candidate merge of the symbol at pos with its successor.
type heapEntry struct {
	rank uint64 // packed rank<<32 | merged id
	pos  int32
}

func (e heapEntry) less(o heapEntry) bool {
	if e.rank>>32 != o.rank>>32 {
		return e.rank < o.rank
	}
	return e.pos < o.pos
}

// mergeHeap is Word::merge_all: a min-heap of candidate merges, each checked
// on pop against the current symbols (an entry is stale when its left
// symbol was absorbed or its pair changed since it was pushed).
func (t mergeTable) mergeHeap(sym []int32, s *mergeScratch) []int32 {
	n := len(sym)
	s.next = append(s.next[:0], make([]int32, n)...)
	s.prev = append(s.prev[:0], make([]int32, n)...)
	next, prev := s.next, s.prev
	for i := range n {
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	next[n-1] = -1
	h := s.heap[:0]
	for i := 0; i+1 < n; i++ {
		if r := t.lookup(sym[i], sym[i+1]); r != noMerge {
			h = heapPush(h, heapEntry{r, int32(i)})
		}
	}
	const removed = -2
	for len(h) > 0 {
		var top heapEntry
		top, h = heapPop(h)
		p := top.pos
		if prev[p] == removed || next[p] < 0 {
			continue
		}
		q := next[p]
		if t.lookup(sym[p], sym[q]) != top.rank {
			continue
		}
		sym[p] = int32(uint32(top.rank))
		next[p] = next[q]
		if next[q] >= 0 {
			prev[next[q]] = p
		}
		prev[q] = removed
		if pp := prev[p]; pp >= 0 {
			if r := t.lookup(sym[pp], sym[p]); r != noMerge {
				h = heapPush(h, heapEntry{r, pp})
			}
		}
		if nn := next[p]; nn >= 0 {
			if r := t.lookup(sym[p], sym[nn]); r != noMerge {
				h = heapPush(h, heapEntry{r, p})
			}
		}
	}
	s.heap = h
	out := sym[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, sym[i])
	}
	return out
}

func heapPush(h []heapEntry, e heapEntry) []heapEntry {
	h = append(h, e)
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h[i].less(h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	return h
}

func heapPop(h []heapEntry) (heapEntry, []heapEntry) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].less(h[m]) {
			m = l
		}
		if r < len(h) && h[r].less(h[m]) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

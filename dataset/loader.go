package dataset

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	// BatchSize is the number of examples per batch.
	BatchSize int
	// Shuffle draws a new order of the examples each epoch from Seed;
	// otherwise every epoch reads them in order.
	Shuffle bool
	// Seed fixes the orders: epoch e uses a PCG seeded with (Seed, e).
	Seed uint64
	// PadTo, when positive, pads every batch to PadTo tokens; every example
	// must fit. When 0, a batch is as long as its longest example.
	PadTo int
	// Pad is the id written into padding positions (their targets are
	// IgnoreIndex, so it only has to be a valid id).
	Pad int32
	// DropLast drops the last batch of an epoch when it is not full;
	// otherwise it holds fewer rows.
	DropLast bool
}

// Loader cuts examples into batches in an order fixed by the seed and the
// epoch. A Loader caches the order of the last epoch it served and is not
// safe for concurrent use.
type Loader struct {
	examples []Example
	opt      LoaderOptions
	epoch    int
	order    []int
}

// NewLoader checks the options against the examples and returns a Loader.
func NewLoader(examples []Example, opt LoaderOptions) (*Loader, error) {
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("dataset: BatchSize %d, want > 0", opt.BatchSize)
	}
	if len(examples) == 0 {
		return nil, fmt.Errorf("dataset: loader: %w", ErrEmpty)
	}
	if opt.DropLast && len(examples) < opt.BatchSize {
		return nil, fmt.Errorf("dataset: %d examples make no full batch of %d", len(examples), opt.BatchSize)
	}
	for i, ex := range examples {
		if len(ex.Tokens) != len(ex.Targets) {
			return nil, fmt.Errorf("dataset: example %d has %d tokens but %d targets", i, len(ex.Tokens), len(ex.Targets))
		}
		if opt.PadTo > 0 && len(ex.Tokens) > opt.PadTo {
			return nil, fmt.Errorf("dataset: example %d has %d tokens, more than PadTo %d", i, len(ex.Tokens), opt.PadTo)
		}
	}
	return &Loader{examples: examples, opt: opt, epoch: -1}, nil
}

// Steps returns the number of batches in an epoch.
func (l *Loader) Steps() int {
	if l.opt.DropLast {
		return len(l.examples) / l.opt.BatchSize
	}
	return (len(l.examples) + l.opt.BatchSize - 1) / l.opt.BatchSize
}

// Order returns the order in which epoch reads the examples. The slice is
// the Loader's own and is valid until the next call for another epoch.
func (l *Loader) Order(epoch int) []int {
	if l.epoch == epoch && l.order != nil {
		return l.order
	}
	l.epoch = epoch
	l.order = identity(l.order[:0], len(l.examples))
	if l.opt.Shuffle {
		shuffle(l.order, rand.NewPCG(l.opt.Seed, uint64(epoch)))
	}
	return l.order
}

// Load writes batch step of epoch into dst, reusing its slices when they
// are large enough.
func (l *Loader) Load(dst *Batch, epoch, step int) error {
	if step < 0 || step >= l.Steps() {
		return fmt.Errorf("dataset: step %d of an epoch of %d", step, l.Steps())
	}
	order := l.Order(epoch)
	rows := order[step*l.opt.BatchSize : min((step+1)*l.opt.BatchSize, len(order))]
	seq := l.opt.PadTo
	if seq == 0 {
		for _, i := range rows {
			seq = max(seq, len(l.examples[i].Tokens))
		}
	}
	n := len(rows) * seq
	dst.Batch, dst.Seq = len(rows), seq
	dst.Tokens = resize(dst.Tokens, n)
	dst.Targets = resize(dst.Targets, n)
	for r, i := range rows {
		ex := l.examples[i]
		tok, tgt := dst.Tokens[r*seq:(r+1)*seq], dst.Targets[r*seq:(r+1)*seq]
		k := copy(tok, ex.Tokens)
		copy(tgt, ex.Targets)
		for t := k; t < seq; t++ {
			tok[t], tgt[t] = l.opt.Pad, IgnoreIndex
		}
	}
	return nil
}

// Epoch yields the batches of epoch in order, all written into one Batch
// that is overwritten at each step.
func (l *Loader) Epoch(epoch int) iter.Seq2[int, *Batch] {
	return func(yield func(int, *Batch) bool) {
		var b Batch
		for step := range l.Steps() {
			if err := l.Load(&b, epoch, step); err != nil {
				panic(err) // step is in range by construction
			}
			if !yield(step, &b) {
				return
			}
		}
	}
}

func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func identity(dst []int, n int) []int {
	for i := range n {
		dst = append(dst, i)
	}
	return dst
}

// shuffle is Fisher–Yates driven by src's Uint64 with rejection sampling,
// written out so that an order depends on the PCG stream alone and not on
// how a Go release implements rand.Shuffle.
func shuffle(p []int, src *rand.PCG) {
	for i := len(p) - 1; i > 0; i-- {
		j := int(uniform(src, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
}

// uniform returns a uniform value in [0, n).
func uniform(src *rand.PCG, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: values below it are rejected
	for {
		if v := src.Uint64(); v >= limit {
			return v % n
		}
	}
}

package dataset

import (
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/tokenizer"
)

// fakeExamples returns examples whose tokens spell their texts, with all
// targets kept.
func fakeExamples(texts ...string) []Example {
	exs := make([]Example, len(texts))
	for i, s := range texts {
		ids := byteEncoder{}.EncodeBatch([]string{s}, tokenizer.EncodeOptions{})[0]
		exs[i] = example(ids, 0)
	}
	return exs
}

func TestLoaderBatches(t *testing.T) {
	exs := fakeExamples("abc", "d", "efgh", "ij", "k")
	tests := []struct {
		name string
		opt  LoaderOptions
		want [][]string // per step, each row's tokens/targets
	}{
		{"in_order_pad_longest", LoaderOptions{BatchSize: 2, Pad: 2}, [][]string{
			{"abc/bc_", "d../___"},
			{"efgh/fgh_", "ij../j___"},
			{"k/_"},
		}},
		{"pad_to_fixed", LoaderOptions{BatchSize: 3, PadTo: 5, Pad: 2}, [][]string{
			{"abc../bc___", "d..../_____", "efgh./fgh__"},
			{"ij.../j____", "k..../_____"},
		}},
		{"drop_last", LoaderOptions{BatchSize: 2, DropLast: true, Pad: 2}, [][]string{
			{"abc/bc_", "d../___"},
			{"efgh/fgh_", "ij../j___"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLoader(exs, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if l.Steps() != len(tc.want) {
				t.Fatalf("%d steps, want %d", l.Steps(), len(tc.want))
			}
			for step, b := range l.Epoch(0) {
				var rows []string
				for r := range b.Batch {
					rows = append(rows, fakeText(b.Tokens[r*b.Seq:(r+1)*b.Seq])+"/"+fakeText(b.Targets[r*b.Seq:(r+1)*b.Seq]))
				}
				if !slices.Equal(rows, tc.want[step]) {
					t.Errorf("step %d: rows %q, want %q", step, rows, tc.want[step])
				}
				if len(b.Tokens) != b.Batch*b.Seq || len(b.Targets) != b.Batch*b.Seq {
					t.Errorf("step %d: %d tokens, %d targets for (%d, %d)", step, len(b.Tokens), len(b.Targets), b.Batch, b.Seq)
				}
			}
		})
	}
}

func TestLoaderShuffle(t *testing.T) {
	exs := fakeExamples(strings.Split("abcdefghij", "")...)
	load := func(seed uint64, epoch int) []int {
		l, err := NewLoader(exs, LoaderOptions{BatchSize: 3, Shuffle: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return slices.Clone(l.Order(epoch))
	}
	// The order of (seed 1, epoch 0) is pinned: it depends on the PCG-DXSM
	// stream and shuffle alone, and must not change between releases. It
	// was checked against a Python transcription of both.
	if got, want := load(1, 0), []int{0, 9, 6, 5, 4, 7, 3, 2, 8, 1}; !slices.Equal(got, want) {
		t.Errorf("seed 1 epoch 0: order %v, want %v", got, want)
	}
	if a, b := load(7, 3), load(7, 3); !slices.Equal(a, b) {
		t.Errorf("same seed and epoch: %v and %v", a, b)
	}
	if a, b := load(7, 0), load(7, 1); slices.Equal(a, b) {
		t.Errorf("epochs 0 and 1 share the order %v", a)
	}
	if a, b := load(7, 0), load(8, 0); slices.Equal(a, b) {
		t.Errorf("seeds 7 and 8 share the order %v", a)
	}
	order := load(7, 2)
	if sorted := slices.Sorted(slices.Values(order)); !slices.Equal(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Errorf("order %v is not a permutation", order)
	}

	// Batches follow the order, and Load gives any step directly.
	l, _ := NewLoader(exs, LoaderOptions{BatchSize: 3, Shuffle: true, Seed: 7})
	var seen []string
	for _, b := range l.Epoch(2) {
		for r := range b.Batch {
			seen = append(seen, fakeText(b.Tokens[r*b.Seq:(r+1)*b.Seq]))
		}
	}
	var want []string
	for _, i := range order {
		want = append(want, fakeText(exs[i].Tokens))
	}
	if !slices.Equal(seen, want) {
		t.Errorf("epoch 2 reads %q, want %q", seen, want)
	}
	var b Batch
	if err := l.Load(&b, 2, 1); err != nil || fakeText(b.Tokens) != strings.Join(want[3:6], "") {
		t.Errorf("Load(epoch 2, step 1) = %q, %v; want %q", fakeText(b.Tokens), err, strings.Join(want[3:6], ""))
	}
}

func TestLoaderErrors(t *testing.T) {
	exs := fakeExamples("abc", "d")
	tests := []struct {
		name string
		exs  []Example
		opt  LoaderOptions
		want string
	}{
		{"no_examples", nil, LoaderOptions{BatchSize: 1}, "no examples"},
		{"zero_batch", exs, LoaderOptions{}, "BatchSize 0"},
		{"too_long_for_pad_to", exs, LoaderOptions{BatchSize: 1, PadTo: 2}, "example 0 has 3 tokens, more than PadTo 2"},
		{"drop_last_no_full_batch", exs, LoaderOptions{BatchSize: 3, DropLast: true}, "2 examples make no full batch of 3"},
		{"mismatched_targets", []Example{{Tokens: []int32{1, 2}, Targets: []int32{1}}}, LoaderOptions{BatchSize: 1}, "example 0 has 2 tokens but 1 targets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewLoader(tc.exs, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	l, _ := NewLoader(exs, LoaderOptions{BatchSize: 1})
	if err := l.Load(&Batch{}, 0, 2); err == nil {
		t.Fatal("Load past the last step: no error")
	}
}

func TestBatchTargetCount(t *testing.T) {
	b := Batch{Targets: []int32{5, IgnoreIndex, 0, IgnoreIndex}, Batch: 1, Seq: 4}
	if got := b.TargetCount(); got != 2 {
		t.Fatalf("TargetCount = %d, want 2", got)
	}
}

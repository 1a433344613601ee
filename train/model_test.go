package train

import (
	"slices"
	"testing"
)

func TestPermutation(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		p := Permutation(3, 1, n)
		if s := slices.Sorted(slices.Values(p)); !slices.Equal(s, seq(n)) {
			t.Fatalf("Permutation(3, 1, %d) = %v: not a permutation", n, p)
		}
		if !slices.Equal(p, Permutation(3, 1, n)) {
			t.Fatalf("Permutation(3, 1, %d) differs between calls", n)
		}
	}
	if slices.Equal(Permutation(3, 1, 50), Permutation(3, 2, 50)) {
		t.Error("epochs 1 and 2 share an order")
	}
	// Pinned: a change here reorders the batches of every run being resumed.
	if got, want := Permutation(42, 0, 8), []int{3, 1, 2, 4, 5, 0, 7, 6}; !slices.Equal(got, want) {
		t.Errorf("Permutation(42, 0, 8) = %v, pinned %v", got, want)
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

package nn

import (
	"slices"
	"strings"
	"testing"
)

func TestNextTokenTargets(t *testing.T) {
	tokens := []int32{1, 2, 3, 4, 5, 6}
	got := make([]int32, len(tokens))
	NextTokenTargets(got, tokens, 3)
	if want := []int32{2, 3, IgnoreIndex, 5, 6, IgnoreIndex}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestCountTargets(t *testing.T) {
	cases := []struct {
		name    string
		targets []int32
		count   int
		err     string
	}{
		{"some ignored", []int32{1, IgnoreIndex, 3}, 2, ""},
		{"out of range", []int32{1, 9}, 0, "target 9 at (0, 1) is outside the vocabulary [0, 8)"},
		{"negative", []int32{-1}, 0, "target -1"},
		{"all ignored", []int32{IgnoreIndex, IgnoreIndex}, 0, "all 2 targets are the ignore index"},
	}
	for _, c := range cases {
		n, err := CountTargets(c.targets, 2, 8)
		if c.err == "" && (err != nil || n != c.count) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: got %d, %v", c.name, n, err)
		}
	}
}

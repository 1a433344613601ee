package pyrandom

import (
	"slices"
	"testing"
)

// The expected values were printed by CPython 3.11's random module, e.g.
// random.Random(1234).sample(range(100), 5).
func TestMatchesCPython(t *testing.T) {
	t.Run("random() seed 42", func(t *testing.T) {
		r := New(42)
		for i, want := range []float64{0.6394267984578837, 0.025010755222666936, 0.27502931836911926} {
			if got := r.Float64(); got != want {
				t.Errorf("draw %d = %v, want %v", i, got, want)
			}
		}
	})
	t.Run("negative seed uses its absolute value", func(t *testing.T) {
		if got, want := New(-7).Float64(), 0.32383276483316237; got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	cases := []struct {
		name    string
		seed    int64
		n, k    int
		want    []int
		thenRnd float64
	}{
		{"pool path", 1234, 100, 5, []int{99, 56, 14, 0, 11}, 0.9109759624491242},
		{"full permutation", 0, 10, 10, []int{6, 9, 0, 2, 4, 3, 5, 1, 8, 7}, -1},
		{"set path", 1234, 1000, 30, []int{989, 796, 451, 119, 7, 92, 932, 965, 961, 826, 596, 35, 687, 709, 85,
			100, 784, 363, 242, 17, 31, 807, 16, 354, 663, 638, 495, 630, 474, 152}, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := New(c.seed)
			if got := r.Sample(c.n, c.k); !slices.Equal(got, c.want) {
				t.Fatalf("Sample(%d, %d) = %v, want %v", c.n, c.k, got, c.want)
			}
			if c.thenRnd >= 0 {
				if got := r.Float64(); got != c.thenRnd {
					t.Errorf("random() after sample = %v, want %v", got, c.thenRnd)
				}
			}
		})
	}
	t.Run("shuffle", func(t *testing.T) {
		x := make([]int, 20)
		for i := range x {
			x[i] = i
		}
		New(1234).Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
		want := []int{19, 13, 4, 9, 16, 7, 6, 8, 17, 18, 5, 12, 15, 11, 10, 1, 2, 0, 3, 14}
		if !slices.Equal(x, want) {
			t.Errorf("shuffle = %v, want %v", x, want)
		}
	})
	t.Run("seed above 32 bits", func(t *testing.T) {
		r := New(1<<40 + 5)
		// getrandbits(70) = 323130167403348955428 uses three words; check the first 64 bits' words
		// through the following random(), which CPython printed as 0.6637982795073579.
		r.Uint32()
		r.Uint32()
		r.Uint32()
		if got, want := r.Float64(), 0.6637982795073579; got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

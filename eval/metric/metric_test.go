package metric

import (
	"math"
	"testing"
)

func TestAggregates(t *testing.T) {
	acc := []float64{1, 0, 1, 1}
	cases := []struct {
		name      string
		got, want float64
	}{
		// mean 0.75; squared deviations 3*0.0625+0.5625 = 0.75, /(n-1) = 0.25, sd 0.5, /sqrt(4)
		{"mean/acc_3_of_4", Mean(acc), 0.75},
		{"sample_stddev/acc_3_of_4", SampleStddev(acc), 0.5},
		{"mean_stderr/acc_3_of_4", MeanStderr(acc), 0.25},
		// exp(-mean(-1,-2,-3)) = e^2
		{"perplexity/e_squared", Perplexity([]float64{-1, -2, -3}), math.Exp(2)},
		// (0.75*4 + 0.5*10) / 14
		{"weighted_mean/two_subtasks", WeightedMean([]float64{0.75, 0.5}, []int{4, 10}), 8.0 / 14},
		// sqrt((3*0.0625*4 + 9*0.01*10) / (14-2) / 14)
		{"pooled_stderr/two_subtasks", PooledStderr([]float64{0.25, 0.1}, []int{4, 10}), math.Sqrt(1.65 / 12 / 14)},
		// Values from lm-eval's bootstrap_stderr(perplexity, xs, iters) run in CPython.
		{"bootstrap/perplexity_2000", BootstrapStderr(Perplexity, []float64{-1, -2.5, -0.5, -3, -1.25}, 2000), 2.546699840032937},
		{"bootstrap/perplexity_7_one_chunk", BootstrapStderr(Perplexity, []float64{-1, -2.5, -0.5, -3, -1.25}, 7), 1.829831248649468},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := math.Abs(c.got - c.want); d > 1e-12*math.Max(1, math.Abs(c.want)) {
				t.Errorf("got %.17g, want %.17g (abs diff %.3g)", c.got, c.want, d)
			}
		})
	}
}

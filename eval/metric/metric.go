package metric

import (
	"math"

	"github.com/steady-ml/steady/internal/pyrandom"
)

// Mean is lm-eval's mean: sum(xs) / len(xs).
func Mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// SampleStddev is lm-eval's sample_stddev: the standard deviation with
// n-1 in the denominator.
func SampleStddev(xs []float64) float64 {
	mu := Mean(xs)
	s := 0.0
	for _, x := range xs {
		s += (x - mu) * (x - mu)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// MeanStderr is lm-eval's mean_stderr: SampleStddev(xs) / sqrt(n), the
// standard error of acc and acc_norm.
func MeanStderr(xs []float64) float64 {
	return SampleStddev(xs) / math.Sqrt(float64(len(xs)))
}

// Perplexity is lm-eval's perplexity aggregation: exp(-mean(log-likelihoods)).
func Perplexity(lls []float64) float64 { return math.Exp(-Mean(lls)) }

// DefaultBootstrapIters is lm-eval's default bootstrap_iters.
const DefaultBootstrapIters = 100000

// BootstrapStderr is lm-eval's bootstrap_stderr: iters resamples of xs
// with replacement, in chunks of min(1000, iters) where chunk i draws with
// random.Random(i) (rnd.choices(xs, k=len(xs)) picks xs[floor(random()*n)]),
// and the sample standard deviation of f over the resamples. The chunks are
// independent of how many processes lm-eval spreads them over.
func BootstrapStderr(f func([]float64) float64, xs []float64, iters int) float64 {
	chunk := min(1000, iters)
	n := len(xs)
	sample := make([]float64, n)
	var res []float64
	for i := 0; i < iters/chunk; i++ {
		rnd := pyrandom.New(int64(i))
		for range chunk {
			for j := range sample {
				sample[j] = xs[int(math.Floor(rnd.Float64()*float64(n)))]
			}
			res = append(res, f(sample))
		}
	}
	return SampleStddev(res)
}

// WeightedMean is lm-eval's aggregate_subtask_metrics with weight_by_size:
// sum(metric * size) / sum(size).
func WeightedMean(metrics []float64, sizes []int) float64 {
	s, n := 0.0, 0
	for i, m := range metrics {
		s += m * float64(sizes[i])
		n += sizes[i]
	}
	return s / float64(n)
}

// PooledStderr is lm-eval's pooled_sample_stderr: the standard error of a
// size-weighted group mean from its subtasks' standard errors,
// sqrt(sum((n_i - 1) * se_i^2 * n_i) / (sum(n_i) - k) / sum(n_i)).
func PooledStderr(stderrs []float64, sizes []int) float64 {
	num, total := 0.0, 0
	for i, se := range stderrs {
		num += float64(sizes[i]-1) * se * se * float64(sizes[i])
		total += sizes[i]
	}
	pooledVar := num / float64(total-len(sizes))
	return math.Sqrt(pooledVar / float64(total))
}

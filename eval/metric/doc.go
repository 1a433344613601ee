// Package metric aggregates per-document scores as lm-evaluation-harness
// 0.4.x does (lm_eval/api/metrics.py): means, perplexity, their standard
// errors (the sample standard deviation over sqrt(n) for means, lm-eval's
// seeded bootstrap for perplexity) and the size-weighted aggregation of
// subtasks into groups with pooled standard errors.
//
// Sums run left to right in float64, as Python's built-in sum did before
// 3.12 (3.12 compensates rounding); the difference is in the last bits.
package metric

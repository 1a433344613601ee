// Package fewshot builds lm-evaluation-harness 0.4.x contexts: it draws
// few-shot examples as lm-eval's samplers do and renders them with the
// task's description and delimiters in front of a document.
//
// Sampling follows lm_eval/api/samplers.py and the evaluator exactly:
//   - One random.Random(seed) per task run (lm-eval's fewshot_random_seed,
//     1234 by default), shared by all documents and advanced in document
//     order, never re-seeded per document. Contexts must therefore be built
//     for documents 0, 1, 2, ... in order, even when only a shard of them is
//     scored, for the draws to match a single-process lm-eval run.
//   - The default sampler is rnd.sample(pool, n); it draws n = k+1 when the
//     task's fewshot_split equals its test_split (both unset included), else
//     n = k, then drops the document itself and keeps the first k.
//   - The first_n sampler (MMLU) takes the first k pool documents.
package fewshot

// Package eval evaluates language models on the tasks of
// lm-evaluation-harness 0.4.x and reports numbers lm-eval would report,
// prompt for prompt.
//
// The pieces, each in its own package:
//   - task: the documents of each task and how lm-eval renders them;
//   - fewshot: lm-eval's seeded few-shot sampling and context layout;
//   - metric: means, perplexity, standard errors, group aggregation;
//   - eval (this package): tokenising requests with lm-eval's whitespace
//     rule (EncodePair), scoring them with a model.LM (Scorer), the run of
//     one task (Run) and lm-eval's results and samples files (Results,
//     WriteResults), including the merge of sharded runs (Merge).
//
// Scoring follows lm-eval's HF model: the model sees
// (context+continuation)[-(max_length+1):][:-1]; the log-likelihood is the
// sum of log-softmax at the continuation tokens; "greedy" is whether every
// continuation token is the argmax. Requests that share an input (the
// one-token answers " A".." D" of MMLU) run once. Models implementing
// StateCloner run a document's shared context once and each choice from a
// copy of the state; others run each request in full, in right-padded
// batches fed through the decode state in chunks so logits stay bounded.
package eval

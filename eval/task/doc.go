// Package task defines the evaluation tasks of lm-evaluation-harness 0.4.x
// that steady reproduces: where each task's documents come from, and how a
// document becomes a prompt (lm-eval's doc_to_text, doc_to_target and
// doc_to_choice), as the task's YAML config and utils.py define them.
//
// A task reads its documents from files under a data folder (the layout of
// shared/data; see SOURCES.md there), never from the network. Where the
// files at hand differ from the HF dataset lm-eval loads, the loader
// rebuilds lm-eval's fields and says so in its doc comment; where a split
// lm-eval uses is absent, the task fails with an error that names the
// files it looked for instead of silently using another split, except
// winogrande, whose few-shot pool falls back from train_xl to the largest
// train_* file present and records which one in Task.FewshotSplit.
//
// Conventions:
//   - A Doc holds the rendered strings lm-eval would build: Text is
//     doc_to_text, Choices is doc_to_choice, Target is the gold target as a
//     string, Gold its index in Choices.
//   - Lengths and indices are in Unicode code points where lm-eval uses
//     Python's len (acc_norm), never in bytes.
package task

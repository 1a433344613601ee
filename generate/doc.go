// Package generate decodes text from a model.LM: the prompt is run once
// through the model (prefill), then tokens are produced one at a time from
// the decode state, each chosen greedily or sampled after the logits
// processors Hugging Face's generate applies, in the same order:
// temperature, then top-k, then top-p (nucleus).
package generate

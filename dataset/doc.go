// Package dataset turns text corpora and instruction data into the token
// batches the trainer consumes.
//
// # The trainer's contract
//
// A Batch holds Tokens and Targets, both (batch, seq) row-major int32.
// Targets[b*Seq+t] is the id the model must predict after reading
// Tokens[b*Seq : b*Seq+t+1]: targets are already shifted, so the trainer
// computes cross-entropy between the logits at position t and Targets at
// position t, and skips positions whose target is IgnoreIndex (-100,
// PyTorch's ignore_index). The loss is the mean over the targets that are
// not IgnoreIndex (Batch.TargetCount gives how many).
//
// # Plain-text corpora (pack.go, documents.go)
//
// Documents are tokenised in parallel, an EOS (<|endoftext|>) is appended to
// each (GPT-NeoX's preprocess_data.py --append-eod), and the concatenated
// stream is cut as GPT-NeoX's GPT2Dataset does: sample i is the window of
// SeqLen+1 tokens starting at token i*SeqLen, its first SeqLen tokens the
// input and its last SeqLen the targets. Consecutive windows share one token,
// so every token of the stream but the first is a target exactly once, every
// block is full, and no target is IgnoreIndex. The tail that does not fill a
// window is dropped (run_clm.py's group_texts drops it too) and counted.
// These are Megatron's and GPT-NeoX's samples ((tokens-1)/SeqLen of them),
// not run_clm.py's disjoint blocks, whose last token is never a target.
// Packing concatenates in file order; shuffling happens in the Loader.
//
// How a file is cut into documents is the Split: one per line, one per
// blank-line-separated block, one per story (stories on consecutive lines,
// paragraphs split by blank lines), one per WikiText article (" = Title = "
// headings), one per piece between separators (<|endoftext|>, <eob>), or
// the whole file.
// JSON Lines and JSON arrays give one document per record's "text" field.
// Blank documents are not documents; a document that tokenises to nothing is
// skipped and counted.
//
// # Instruction data (instruct.go, alpaca.go)
//
// Alpaca records (instruction, input, output) are rendered with
// tatsu-lab/stanford_alpaca's PROMPT_DICT (prompt_input when input is not
// empty, else prompt_no_input); prompt/response records (dolly_hhrlhf) use
// the prompt as it is. The response is the output followed by EOS. As in
// stanford_alpaca's preprocess, the example is the tokenisation of
// source+response as one string, and with ResponseOnly the first
// len(tokenise(source)) labels are masked: the boundary is where the source
// alone ends, even when BPE joins the last source character to the first
// response character (":-" in "### Response:- item"; InstructStats.Merged
// counts these, 149 of alpaca_5000's 5000). An example is (Tokens = ids, Targets[t] = labels[t+1],
// Targets[n-1] = IgnoreIndex), so its loss equals HF's shifted loss on
// (input_ids, labels).
//
// Examples longer than MaxLen are truncated to MaxLen (stanford_alpaca's
// model_max_length), skipped, or rejected, by Overflow; the counts are
// reported in InstructStats.
//
// # Batching (loader.go)
//
// A Loader draws batches from examples in an order fixed by (Seed, epoch):
// a math/rand/v2 PCG seeded with (Seed, epoch) permutes the examples, so the
// same seed gives the same order on every machine, and any (epoch, step) can
// be produced directly, which is what resuming needs. Rows shorter than the
// batch's length are right-padded with the pad id and IgnoreIndex targets.
//
// # Errors
//
// Errors from files name the file and, for records, the line and the field:
// `alpaca.json:12: field "output": missing`.
package dataset

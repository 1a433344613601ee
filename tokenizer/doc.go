// Package tokenizer is the GPT-NeoX-20B byte-level BPE tokenizer of Pythia,
// Mamba and Mamba-2, and loads any HF tokenizer.json of the same family.
// It gives the ids HF tokenizers gives: it is checked on every line of
// fixtures/tokenizer/golden.jsonl (made with HF tokenizers.js and checked
// against HF's Rust tokenizers) and, through a digest of tokenizers.js's ids
// (testdata/corpus_digest.json, from bench/tokenizer/digest.mjs), on every
// text of nine shared corpora: 67,686 texts, 2.2 M tokens.
//
// # Pipeline
//
// Encode follows tokenizers' Tokenizer::encode step by step, one file each:
//
//   - added.go: added tokens with "normalized": false (GPT-NeoX's
//     <|endoftext|>, <|padding|>) are cut out of the raw text; the pieces
//     between are normalized (NFC) and added tokens with "normalized": true
//     (GPT-NeoX's runs of 2 to 24 spaces, ids 50254..50276) are cut out of
//     them. Matching is leftmost-longest; lstrip, rstrip and single_word
//     behave as in AddedVocabulary::find_matches.
//   - pretokenize.go: the ByteLevel pre-tokenizer's GPT-2 split, written out
//     by hand (Go's regexp has no lookahead for \s+(?!\S)).
//   - bpe.go: BPE merges by rank, on a table keyed by packed id pairs.
//   - bytelevel.go, decode.go: the byte-level alphabet and the ByteLevel
//     decoder.
//
// Words are cached per encoder (one per goroutine, from a pool), so a word
// goes through BPE once; encoding allocates only when the cache grows or
// dst must grow.
//
// # Conventions
//
// Ids are int32, as model.Model.Forward takes them. Encode adds no special
// tokens (the post_processor of the file is not read; for this family it adds
// none); special tokens written in the text become their ids unless
// EncodeOptions.SpecialAsText is set. Decode keeps special tokens unless
// DecodeOptions.SkipSpecialTokens is set and, as tokenizers does, skips ids
// that are no token (the padding rows of a model's embedding).
//
// Text is normalized to NFC, so text that is not in NFC does not round-trip:
// it decodes to its NFC form, as with HF. Text that is not valid UTF-8 is
// repaired first, each maximal invalid subsequence becoming U+FFFD (Rust's
// String::from_utf8_lossy, Python's errors="replace"): HF tokenizers only
// takes valid strings, so that is the repair its callers make, and the ids
// are the ones HF gives for the repaired text. Encode never panics.
//
// Character classes (\p{L}, \p{N}, \s) come from Go's unicode tables; HF's
// come from Oniguruma's. They agree on all shared test text and can differ
// only on characters assigned in a Unicode version one side lacks.
//
// # The embedded tokenizer
//
// Default returns GPT-NeoX-20B's tokenizer.json, embedded gzip-compressed
// (0.6 MB); data/NOTICE gives its origin and its licence, Apache-2.0.
package tokenizer

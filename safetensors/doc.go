// Package safetensors reads and writes the safetensors checkpoint format of Hugging Face
// (https://github.com/huggingface/safetensors), single files and sharded checkpoints.
//
// # Format
//
// A file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the data
// section. The JSON object maps each tensor name to {"dtype", "shape", "data_offsets"},
// offsets being [begin, end) within the data section, plus an optional "__metadata__" object
// of strings. Data is little-endian and row-major (C order).
//
// # Reading
//
// Open memory-maps a file read-only (reading it into memory where mapping is unavailable);
// ReadFile reads it; Parse takes bytes already in memory. All three validate the header
// completely before returning, following the reference crate's read_metadata and validate:
// the header is at most MaxHeaderSize bytes and lies within the file, is UTF-8 and one JSON
// object without duplicate keys, __metadata__ maps strings to strings, every entry has a
// known dtype, a shape of non-negative integers whose byte size does not overflow and equals
// its offsets' span, and the entries tile the data section exactly, without gaps, overlaps
// or trailing bytes. Nothing a file says can make the reader panic, read outside the file or
// allocate more than the header's size (and the data section, when it is read rather than
// mapped). Every error is an *Error naming the file and, where one is at fault, the tensor.
//
// Accessors: Bytes and F32View return slices over the file's data without copying (valid
// until Close, never to be written to); F32 and I64 convert into new slices. F32 converts
// every floating-point dtype, including the 8-bit F8_E4M3, F8_E5M2 and F8_E8M0, exactly
// (F64 is rounded to nearest); I64 widens every integer dtype.
//
// # Writing
//
// Write and Encode lay a file out byte for byte as the reference writer does (Python's
// safetensors.torch.save_file; see Encode), so that files round-trip through both tools
// unchanged. Write replaces the destination atomically. Tensor values carry raw bytes;
// F32Tensor and I64Tensor build them from Go slices.
//
// # Sharded checkpoints
//
// A sharded checkpoint is a directory with model.safetensors.index.json, whose "weight_map"
// maps each tensor to its shard file, e.g. model-00001-of-00003.safetensors. OpenDir and
// OpenIndex open all shards as one Set with the accessors of File; WriteSharded splits
// tensors into shards no larger than a limit, as huggingface_hub's
// split_torch_state_dict_into_shards does.
//
// # Dtypes
//
// F64 F32 F16 BF16 I64 I32 I16 I8 U64 U32 U16 U8 BOOL F8_E4M3 F8_E5M2 F8_E8M0 C64: every
// whole-byte dtype of the reference crate. Its sub-byte dtypes (F4, F6_E2M3, F6_E3M2) are
// rejected with an error that says so.
package safetensors

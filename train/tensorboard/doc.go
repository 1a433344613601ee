// Package tensorboard writes TensorBoard event files of scalar summaries, readable by
// TensorBoard and tensorboard.backend.event_processing without TensorFlow.
//
// # Format
//
// A file events.out.tfevents.<unix seconds>.<host>.<pid>.<n> is a sequence of TFRecords:
//
//	uint64 length (little-endian) · uint32 masked_crc32c(length bytes) · data · uint32 masked_crc32c(data)
//
// where masked_crc32c(x) = ((c >> 15) | (c << 17)) + 0xa282ead8 with c the CRC-32C (Castagnoli)
// of x. Each record's data is a serialized tensorflow.Event protocol buffer; the first holds
// file_version "brain.Event:2", each later one a Summary of simple_value scalars:
//
//	Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//	Summary { repeated Value value = 1; }
//	Value   { string tag = 1; float simple_value = 2; }
//
// The protocol-buffer wire format is written by hand (varint keys, fixed64 doubles, fixed32
// floats, length-delimited strings and messages): four fields do not warrant a dependency.
package tensorboard

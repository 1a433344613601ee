// Package pickle reads PyTorch checkpoints (pytorch_model.bin, *.pt) written
// by torch.save, without Python and without running any of the code a pickle
// can name.
//
// A PyTorch checkpoint is a Python pickle whose tensors point at raw storages.
// Two container layouts exist:
//
//   - zip (torch >= 1.6): <archive>/data.pkl holds the pickle and
//     <archive>/data/<key> holds each storage's little-endian bytes;
//   - legacy (torch < 1.6): a stream of pickles (magic number, protocol
//     version, system info, the object, the storage keys) followed by each
//     storage as an 8-byte element count and its bytes.
//
// A pickle is a program for a stack machine that may call any Python global it
// names, which is how a malicious checkpoint runs os.system. This package runs
// the opcodes with github.com/nlpodyssey/gopickle and resolves globals through
// a closed whitelist: the storage classes (torch.FloatStorage, ...),
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter(_with_state),
// torch._tensor._rebuild_from_type_v2 with the types torch.Tensor and
// torch.nn.parameter.Parameter, and collections.OrderedDict. Any other global is refused with an error that
// names it (ErrForbiddenGlobal). Nothing is ever executed: the whitelisted
// names map to Go values that record their arguments.
//
// Open returns the tensors of a state dict in file order, each made contiguous
// (row-major) whatever its storage offset and strides; the storages of a zip
// file are memory-mapped rather than copied. Tensors that view the
// same bytes of the same storage (tied weights such as an embedding shared with
// the LM head) share one Data slice and name the first of them in Tied.
package pickle

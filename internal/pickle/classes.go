package pickle

import (
	"errors"
	"fmt"

	"github.com/nlpodyssey/gopickle/types"
)

// ErrForbiddenGlobal is returned (wrapped, with the module and name) when a
// pickle names a Python global outside the whitelist.
var ErrForbiddenGlobal = errors.New("forbidden global")

// storageClass is a whitelisted torch.<Kind>Storage class.
type storageClass struct {
	name  string // "FloatStorage"
	dtype string // the safetensors dtype, "F32"
	size  int    // bytes per element
}

var storageClasses = map[string]storageClass{
	"FloatStorage":    {"FloatStorage", "F32", 4},
	"DoubleStorage":   {"DoubleStorage", "F64", 8},
	"HalfStorage":     {"HalfStorage", "F16", 2},
	"BFloat16Storage": {"BFloat16Storage", "BF16", 2},
	"LongStorage":     {"LongStorage", "I64", 8},
	"IntStorage":      {"IntStorage", "I32", 4},
	"ShortStorage":    {"ShortStorage", "I16", 2},
	"CharStorage":     {"CharStorage", "I8", 1},
	"ByteStorage":     {"ByteStorage", "U8", 1},
	"BoolStorage":     {"BoolStorage", "BOOL", 1},
}

// storage is one storage of the checkpoint; data is filled when its bytes are
// read (at once for zip files, after the object pickle for legacy files).
type storage struct {
	key   string
	class storageClass
	numel int64
	// root and offset (in elements) are set for a legacy view into another storage.
	root   *storage
	offset int64
	data   []byte
}

// bytes returns the storage's bytes, resolving a legacy view.
func (s *storage) bytes() []byte {
	if s.root == nil {
		return s.data
	}
	b := s.root.bytes()
	begin, end := s.offset*int64(s.class.size), (s.offset+s.numel)*int64(s.class.size)
	if begin > int64(len(b)) || end > int64(len(b)) {
		return nil
	}
	return b[begin:end]
}

// tensorRef is what torch._utils._rebuild_tensor_v2 returns here: a view of a
// storage, materialised after the whole file is read.
type tensorRef struct {
	storage *storage
	offset  int64 // in elements
	shape   []int
	stride  []int
}

// rebuildTensor stands for torch._utils._rebuild_tensor_v2(storage,
// storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %d arguments, want at least 4", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument is %T, not a storage", args[0])
	}
	offset, ok := args[1].(int)
	if !ok || offset < 0 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: storage offset %v is not a non-negative int", args[1])
	}
	shape, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	if len(shape) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size %v and stride %v differ in rank", shape, stride)
	}
	return &tensorRef{storage: st, offset: int64(offset), shape: shape, stride: stride}, nil
}

// rebuildParameter stands for torch._utils._rebuild_parameter(data,
// requires_grad, backward_hooks) and its _with_state twin: a Parameter is its
// tensor.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter: no arguments")
	}
	t, ok := args[0].(*tensorRef)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data is %T, not a tensor", args[0])
	}
	return t, nil
}

// tensorType stands for torch.Tensor or torch.nn.parameter.Parameter when
// named as the type argument of _rebuild_from_type_v2; it is never called.
type tensorType struct{ name string }

// rebuildFromType stands for torch._tensor._rebuild_from_type_v2(func, type,
// args, state), which torch.save uses for a tensor of a subclass or with
// attributes: it rebuilds the tensor with func(*args) and drops the state.
type rebuildFromType struct{}

func (rebuildFromType) Call(args ...any) (any, error) {
	if len(args) < 3 {
		return nil, fmt.Errorf("_rebuild_from_type_v2: %d arguments, want 4", len(args))
	}
	fn, ok := args[0].(rebuildTensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_from_type_v2: function %T is not _rebuild_tensor_v2", args[0])
	}
	if _, ok := args[1].(tensorType); !ok {
		return nil, fmt.Errorf("_rebuild_from_type_v2: type %v is not a tensor type", args[1])
	}
	inner, ok := args[2].(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_from_type_v2: arguments are %T, not a tuple", args[2])
	}
	return fn.Call(*inner...)
}

func intTuple(v any, field string) ([]int, error) {
	tup, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %s is %T, not a tuple", field, v)
	}
	out := make([]int, tup.Len())
	for i := range out {
		n, ok := tup.Get(i).(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("_rebuild_tensor_v2: %s[%d] = %v is not a non-negative int", field, i, tup.Get(i))
		}
		out[i] = n
	}
	return out, nil
}

// findClass resolves the globals a pickle names against the whitelist.
// (gopickle itself resolves collections.OrderedDict, and the inert
// __builtin__.object and copy_reg._reconstructor, before asking.)
func findClass(module, name string) (any, error) {
	switch module {
	case "torch":
		if c, ok := storageClasses[name]; ok {
			return c, nil
		}
		if name == "Tensor" {
			return tensorType{"torch.Tensor"}, nil
		}
	case "torch._tensor":
		if name == "_rebuild_from_type_v2" {
			return rebuildFromType{}, nil
		}
	case "torch.nn.parameter":
		if name == "Parameter" {
			return tensorType{"torch.nn.parameter.Parameter"}, nil
		}
	case "torch._utils":
		switch name {
		case "_rebuild_tensor_v2":
			return rebuildTensor{}, nil
		case "_rebuild_parameter", "_rebuild_parameter_with_state":
			return rebuildParameter{}, nil
		}
	}
	return nil, fmt.Errorf("%w %s.%s: only the globals that rebuild tensors are allowed", ErrForbiddenGlobal, module, name)
}

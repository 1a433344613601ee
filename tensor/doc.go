// Package tensor holds dense, row-major tensors with views, and arenas that
// let hot loops reuse their buffers.
//
// # Conventions
//
//   - A Tensor is a dtype (F32, BF16, F16 or I64, named as in safetensors),
//     a shape written outermost-first, strides in elements, an offset, and
//     typed storage ([]float32, []half.BF16, []half.F16 or []int64). Element
//     (i0, …, ik) lives at storage[offset + Σ ij·strides[j]].
//   - Row-major: a freshly made tensor has strides[k-1] = 1 and
//     strides[j] = strides[j+1]·shape[j+1]. Such a tensor, or a view whose
//     elements are laid out the same way, is contiguous.
//   - Views share storage and never copy: Transpose and T swap strides,
//     Narrow moves the offset, Reshape of a contiguous tensor rewrites shape
//     and strides. Contiguous, Clone, Reshape of a non-contiguous tensor and
//     the To* conversions copy into new storage. Writing through a view
//     writes the tensor it views.
//   - Errors and panics: functions a user's data can reach (constructors
//     from shapes and slices, Reshape, Transpose, Narrow, Copy, the To*
//     conversions) return errors that name the operation, the shapes and the
//     dtypes. Accessors used inside hot loops (F32s and its siblings, At,
//     Set, T, Arena.New) panic on misuse, which is a programmer error.
//   - Precision: conversions to BF16 and F16 round to nearest, ties to even,
//     through package half's slice casts (SIMD on amd64); conversions to F32
//     are exact from BF16 and F16 and rounded to nearest from I64. Floats never convert to I64, and I64
//     converts only to F32 (a direct int64→half rounding is not provided;
//     going through F32 would round twice).
//   - Allocation: a kernel or layer that runs every step takes its buffers
//     from an Arena, which keeps storage across Reset so that a step that
//     asks for the same shapes in the same order allocates nothing after
//     the first.
//
// There is no autodiff and no graph: layers in package nn own their forward
// and backward passes and work on the slices that F32s returns.
package tensor

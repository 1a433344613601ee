// Package nn holds the fused layers the architectures are built from. Each
// layer is a small params struct (or a plain function for parameter-free ops)
// with a Forward that writes into a destination the caller provides and
// allocates nothing in its hot loop; Backward methods follow the same shape.
//
// Conventions, stated once for the whole package:
//   - Tensors are float32 slices, row-major, shapes written outermost-first in
//     a comment on every field and argument, e.g. x: (batch, seqLen, dInner).
//   - Parameters keep their checkpoint layout (PyTorch), so a checkpoint tensor
//     is used as is; a layer that needs another layout says so.
//   - Strided arguments (ld*) are the distance in elements between consecutive
//     rows, so a layer can read or write a column block of a wider matrix
//     (e.g. the x half of in_proj's output) without a copy.
//   - Precision: parameters, activations, states and accumulators are float32
//     unless a field says otherwise. Mixed precision is Autocast
//     (autocast.go): a product's operands are rounded to bf16 or f16, it
//     accumulates in float32 and its output is rounded once, as torch's
//     autocast does; Linear, LoRA and Embedding carry their format, and the
//     architectures round their other half tensors with Autocast.Round.
//   - Gradient convention: parameter gradients accumulate (+=), activation
//     gradients are written (=), except on the residual stream, which
//     accumulates.
//   - Kernels panic on programmer errors (wrong slice lengths); errors a user
//     can cause (bad token ids) are returned.
//   - Each op cites the equation and reference function it implements next to
//     its loop.
//   - The selective scan's inner loops also exist in C (selective_scan.c,
//     called once per range of channel blocks through cgo in the default build, so
//     the compiler vectorises them); so do SiLU, GELU, their backwards and the
//     cross-entropy row (elementwise.c, compiled for AVX-512, AVX2 and a
//     baseline with a runtime choice). The purego build runs Go loops, and
//     the tests hold both to the same float64 twins and fixtures.
package nn

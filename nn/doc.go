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
//     unless a field says otherwise. Mixed-precision modes round the operands
//     of a matmul in one place (the caller), never inside these kernels.
//   - Gradient convention: parameter gradients accumulate (+=), activation
//     gradients are written (=), except on the residual stream, which
//     accumulates.
//   - Kernels panic on programmer errors (wrong slice lengths); errors a user
//     can cause (bad token ids) are returned.
//   - Each op cites the equation and reference function it implements next to
//     its loop.
//   - The selective scan's inner loops also exist in C (selective_scan.c,
//     called once per range of channel blocks through cgo in the default build, so
//     the compiler vectorises them); the purego build runs the Go loops, and
//     the tests hold both to the same float64 twin and fixtures.
package nn

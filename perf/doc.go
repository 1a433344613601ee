// Package perf measures model speed on this machine: prefill tokens/s at
// given batch×sequence shapes and batch-1 decode tokens/s, on randomly
// initialised models of the released checkpoints' shapes (mamba-130m,
// mamba2-130m, pythia-160m), with the roofline each figure should be read
// against (GEMM FLOPs for prefill, weight bytes per token for decode).
package perf

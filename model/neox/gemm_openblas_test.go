//go:build !purego

package neox

// gemmAllocates: OpenBLAS calls allocate nothing on the Go heap.
const gemmAllocates = false

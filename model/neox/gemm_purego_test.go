//go:build purego

package neox

// gemmAllocates: the pure-Go GEMM fans each call out to goroutines, which
// allocate; the OpenBLAS build does not.
const gemmAllocates = true

// Package kernel holds the numerical kernels on plain slices: GEMM in float32
// and with bfloat16 inputs. Kernels write into a destination the caller
// provides.
//
// # Conventions
//
// Matrices are row-major with a leading dimension (the stride between rows,
// at least the row width). Sgemm and SgemmBF16 compute
//
//	C = alpha·op(A)·op(B) + beta·C,  op(X) = X or Xᵀ
//
// exactly as cblas_sgemm with CblasRowMajor; Sgemv is cblas_sgemv. With
// beta = 0, C is write-only (NaN in C does not propagate). Operands must not
// overlap. Bad dimensions, leading dimensions or slice lengths are programmer
// errors and panic with a message naming the argument.
//
// # Precision
//
//	Sgemm      float32 in, float32 products and sums, float32 out.
//	SgemmBF16  bfloat16 in (uint16 bit patterns: float32 = uint32(h)<<16),
//	           products exact in float32, float32 sums, float32 out. This is
//	           the matmul of the bf16 mixed-precision mode (PyTorch autocast).
//
// The conformance tests hold every implementation to a float64 reference
// within 2·(k+2)·2⁻²⁴ of |alpha|·Σ_p|op(A)[i,p]·op(B)[p,j]| + |beta·C[i,j]|.
//
// # Implementations
//
// The default build runs Sgemm on this package's AVX-512F kernel
// (sgemm_avx512.c: packed panels, a 12×32 register tile of VFMADD231PS,
// masked edge tiles) on CPUs that have it, for products with m ≥ 8, n ≥ 32
// and at least 2¹⁹ flops; its threads are goroutines, each in one cgo call on
// its own rows or columns of C. It calls OpenBLAS through cgo (link
// -lopenblas) for the rest, with m = 1 and n = 1 routed to sgemv. Under the
// purego build tag, or without cgo (CGO_ENABLED=0), Sgemm is a blocked,
// packed Go GEMM (gemm_go.go: Goto/BLIS loops, 2×4 register tile, goroutines
// over rows or columns), about 7 GFLOP/s a core against OpenBLAS's 80 (AVX2)
// to 180 (AVX-512) and the AVX-512F kernel's 140–170 (Zen 5, per CPU-second).
//
// SgemmBF16 uses the first available of:
//
//	openblas-sbgemm cblas_sbgemm, looked up with dlsym: OpenBLAS declares it
//	                but builds without BUILD_BFLOAT16 (Debian's) lack it.
//	avx512bf16      this package's VDPBF16PS kernel (sbgemm_avx512.c), on CPUs
//	                with AVX-512 BF16; threads are goroutines, each in one cgo
//	                call on its own rows or columns of C.
//	convert+sgemm   widen op(A), then op(B) a block of columns at a time, to
//	                float32 and call Sgemm (the only path of the purego build).
//
// BF16Backend and Backend name the choice.
//
// # Threads
//
// SetThreads sets the threads one call may use (OpenBLAS threads and the
// goroutines of the Go and bf16 kernels); the default is GOMAXPROCS, which
// honours container CPU limits where OpenBLAS's own default does not. Do not
// run multi-threaded kernels next to other compute goroutines on the same
// cores: OpenBLAS threads spin for a while after each call and contend with
// the goroutines. A pool of independent runs should call SetThreads(1).
//
// # OpenBLAS and new CPUs
//
// OpenBLAS picks its CPU kernels when the library loads. Version 0.3.21
// (Debian 12) does not know AMD Zen 5 and falls back to its Haswell (AVX2)
// kernels, at half the float32 throughput of its AVX-512 ones; setting
// OPENBLAS_CORETYPE=SkylakeX in the environment before the program starts
// selects them. This matters for the products OpenBLAS still runs (m = 1,
// n = 1, thin and tiny ones) on CPUs with AVX-512F, and for all of them on
// CPUs without. Backend reports the kernels in use.
package kernel

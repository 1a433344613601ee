package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/cpu"

	"github.com/steady-ml/steady/half"
	"github.com/steady-ml/steady/kernel"
)

// newBenchCmd is the parent of the speed measurements (`steady bench gemm`, ...).
func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the speed of kernels and models on this machine",
	}
	cmd.AddCommand(newBenchGemmCmd(), newBenchModelCmd(), newBenchTrainCmd())
	return cmd
}

// benchGemmOptions are the flags of `steady bench gemm`.
type benchGemmOptions struct {
	threads  []int
	shapes   []string
	minTime  time.Duration
	peakF32  float64
	peakBF16 float64
}

func newBenchGemmCmd() *cobra.Command {
	opts := benchGemmOptions{}
	cmd := &cobra.Command{
		Use:   "gemm",
		Short: "GFLOP/s of the f32 and bf16 GEMM kernels on model-like shapes",
		Long: `Runs C = A·Bᵀ (B stored n×k, as a Linear layer's weight) in float32
(kernel.Sgemm) and with bf16 inputs and float32 accumulation (kernel.SgemmBF16)
for each shape m×n×k and thread count, and prints GFLOP/s (2·m·n·k per call)
(mean over the calls, and of the fastest call) next to the peak the flags
give. Other processes on the machine lower the mean most: on a busy machine
the fastest call is the better estimate of what the kernel can do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchGemm(cmd.OutOrStdout(), opts)
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&opts.threads, "threads", uniqueInts(1, runtime.GOMAXPROCS(0)), "thread counts to measure (kernel.SetThreads)")
	f.StringSliceVar(&opts.shapes, "shapes", []string{"2048x3072x768", "2048x768x3072", "1x3072x768", "1x50280x768"}, "shapes m×n×k to measure, as MxNxK")
	f.DurationVar(&opts.minTime, "min-time", 500*time.Millisecond, "least time to spend per measurement")
	f.Float64Var(&opts.peakF32, "peak-f32", 115, "peak float32 GFLOP/s of one core, for the % column")
	f.Float64Var(&opts.peakBF16, "peak-bf16", 230, "peak bf16 GFLOP/s of one core, for the % column")
	return cmd
}

// gemmShape is one m×n×k product.
type gemmShape struct{ m, n, k int }

func parseGemmShape(s string) (gemmShape, error) {
	parts := strings.Split(strings.ToLower(s), "x")
	if len(parts) != 3 {
		return gemmShape{}, fmt.Errorf("--shapes: %q is not MxNxK", s)
	}
	var dims [3]int
	for i, p := range parts {
		d, err := strconv.Atoi(p)
		if err != nil || d < 1 {
			return gemmShape{}, fmt.Errorf("--shapes: %q: dimension %q is not a positive integer", s, p)
		}
		dims[i] = d
	}
	return gemmShape{dims[0], dims[1], dims[2]}, nil
}

func runBenchGemm(w io.Writer, opts benchGemmOptions) error {
	shapes := make([]gemmShape, len(opts.shapes))
	for i, s := range opts.shapes {
		var err error
		if shapes[i], err = parseGemmShape(s); err != nil {
			return err
		}
	}
	for _, t := range opts.threads {
		if t < 1 {
			return fmt.Errorf("--threads: %d is not a positive thread count", t)
		}
	}
	if opts.minTime <= 0 {
		return fmt.Errorf("--min-time: %v is not positive", opts.minTime)
	}
	backend := kernel.Backend()
	fmt.Fprintf(w, "f32: %s; bf16: %s; GOMAXPROCS %d\n", backend, kernel.BF16Backend(), runtime.GOMAXPROCS(0))
	if strings.Contains(backend, "Haswell") && cpu.X86.HasAVX512F {
		fmt.Fprintln(w, "note: this CPU has AVX-512 but OpenBLAS chose its AVX2 kernels, which run the products the avx512f kernel does not (m = 1, n = 1, thin, tiny); OPENBLAS_CORETYPE=SkylakeX in the environment selects its AVX-512 ones")
	}
	defer kernel.SetThreads(kernel.Threads())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "shape m×n×k\tthreads\tpath\tGFLOP/s\tbest call\tpeak\tbest % peak\t")
	for _, threads := range opts.threads {
		kernel.SetThreads(threads)
		for _, s := range shapes {
			for _, path := range []struct {
				name    string
				gemm    func()
				perCore float64
			}{{"f32", newF32Gemm(s), opts.peakF32}, {"bf16", newBF16Gemm(s), opts.peakBF16}} {
				mean, best := measureGemm(s, opts.minTime, path.gemm)
				peak := path.perCore * float64(threads)
				fmt.Fprintf(tw, "%dx%dx%d\t%d\t%s\t%.1f\t%.1f\t%.0f\t%.0f%%\t\n", s.m, s.n, s.k, threads, path.name, mean, best, peak, 100*best/peak)
			}
		}
	}
	return tw.Flush()
}

// measureGemm runs gemm once to warm up, then for at least minTime, and
// returns its GFLOP/s over all the calls and in the fastest call.
func measureGemm(s gemmShape, minTime time.Duration, gemm func()) (mean, best float64) {
	flop := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	gemm()
	calls, start, fastest := 0, time.Now(), time.Duration(math.MaxInt64)
	for calls == 0 || time.Since(start) < minTime {
		t := time.Now()
		gemm()
		fastest = min(fastest, time.Since(t))
		calls++
	}
	return flop * float64(calls) / time.Since(start).Seconds() / 1e9, flop / fastest.Seconds() / 1e9
}

// newF32Gemm returns a call of kernel.Sgemm on random operands of shape s.
func newF32Gemm(s gemmShape) func() {
	a, b, c := randomFloats(s.m*s.k), randomFloats(s.n*s.k), make([]float32, s.m*s.n)
	return func() { kernel.Sgemm(false, true, s.m, s.n, s.k, 1, a, s.k, b, s.k, 0, c, s.n) }
}

// newBF16Gemm returns a call of kernel.SgemmBF16 on random operands of shape s.
func newBF16Gemm(s gemmShape) func() {
	a, b, c := randomBF16s(s.m*s.k), randomBF16s(s.n*s.k), make([]float32, s.m*s.n)
	return func() { kernel.SgemmBF16(false, true, s.m, s.n, s.k, 1, a, s.k, b, s.k, 0, c, s.n) }
}

func randomFloats(n int) []float32 {
	rng := rand.New(rand.NewPCG(uint64(n), 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}

func randomBF16s(n int) []uint16 {
	x := randomFloats(n)
	h := make([]uint16, n)
	for i, v := range x {
		h[i] = uint16(half.BF16FromF32(v))
	}
	return h
}

// uniqueInts returns xs without repeats, in order.
func uniqueInts(xs ...int) []int {
	var out []int
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

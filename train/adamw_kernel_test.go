package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// adamInput draws one element of one tensor (p, g, m or v).
type adamInput func(r *rand.Rand) float32

// signed gives x a random sign.
func signed(r *rand.Rand, x float64) float32 {
	if r.IntN(2) == 0 {
		return float32(-x)
	}
	return float32(x)
}

// logUniform is |x| uniform in log between 10^lo and 10^hi, with a random sign.
func logUniform(lo, hi float64) adamInput {
	return func(r *rand.Rand) float32 { return signed(r, math.Pow(10, lo+(hi-lo)*r.Float64())) }
}

// positive is f without the sign: exp_avg_sq is never negative.
func positive(f adamInput) adamInput {
	return func(r *rand.Rand) float32 { return float32(math.Abs(float64(f(r)))) }
}

var (
	normal    adamInput = func(r *rand.Rand) float32 { return float32(r.NormFloat64()) }
	zeros     adamInput = func(r *rand.Rand) float32 { return signed(r, 0) }
	subnormal adamInput = func(r *rand.Rand) float32 {
		x := math.Float32frombits(uint32(r.IntN(1 << 23)))
		return signed(r, float64(x))
	}
)

// oneOf draws from a generator picked at random per element.
func oneOf(fs ...adamInput) adamInput {
	return func(r *rand.Rand) float32 { return fs[r.IntN(len(fs))](r) }
}

// adamKernelInputs are the element distributions the C kernel is held to its Go twin on: each
// reaches a different part of the float32 range through the fused multiply-adds, the square
// root and the divisions (v and g² subnormal or underflowing, g² overflowing to +Inf, m/denom
// of ±Inf/±Inf…).
var adamKernelInputs = []struct {
	name       string
	p, g, m, v adamInput
}{
	{"typical", normal, logUniform(-6, 1), logUniform(-5, -1), positive(logUniform(-8, -2))},
	{"zeros", oneOf(zeros, normal), zeros, oneOf(zeros, normal), oneOf(zeros, positive(normal))},
	{"tiny_grads", normal, logUniform(-30, -15), logUniform(-30, -10), positive(logUniform(-45, -20))},
	{"subnormals", oneOf(subnormal, normal), subnormal, subnormal, positive(subnormal)},
	{"large", logUniform(20, 38), logUniform(10, 25), logUniform(20, 38), positive(logUniform(30, 38.5))},
	{"mixed", oneOf(normal, zeros, subnormal, logUniform(-45, 38)), oneOf(normal, zeros, subnormal, logUniform(-45, 25)),
		oneOf(normal, zeros, subnormal, logUniform(-45, 38)), positive(oneOf(normal, zeros, subnormal, logUniform(-45, 38.5)))},
}

// adamKernelLengths are odd lengths around the vector widths (8 and 16 lanes) and the chunk
// size, so that every main loop, epilogue and scalar tail runs.
var adamKernelLengths = []int{1, 7, 16, 17, 1000, 65537}

// sameBits reports whether got and want are the same float32, or both NaN (NaN payloads are not
// part of the contract: the trainer stops at a non-finite gradient before any update).
func sameBits(got, want float32) bool {
	return math.Float32bits(got) == math.Float32bits(want) || (got != got && want != want)
}

// adamState is one parameter's p, g, m, v.
type adamState struct{ p, g, m, v []float32 }

func newAdamState(r *rand.Rand, n int, p, g, m, v adamInput) adamState {
	s := adamState{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
	for i := range n {
		s.p[i], s.g[i], s.m[i], s.v[i] = p(r), g(r), m(r), v(r)
	}
	return s
}

func (s adamState) clone() adamState {
	return adamState{slices.Clone(s.p), slices.Clone(s.g), slices.Clone(s.m), slices.Clone(s.v)}
}

// firstDiff returns the first element where got and want differ, or -1.
func (got adamState) firstDiff(want adamState) int {
	for i := range got.p {
		if !sameBits(got.p[i], want.p[i]) || !sameBits(got.m[i], want.m[i]) || !sameBits(got.v[i], want.v[i]) {
			return i
		}
	}
	return -1
}

// adamKernelScalars are the step constants of AdamW with and without weight decay at a few step
// counts (the bias corrections change with the step), and one run with eps 0.
func adamKernelScalars() []struct {
	name string
	s    adamScalars
} {
	var out []struct {
		name string
		s    adamScalars
	}
	for _, eps := range []float64{1e-8, 0} {
		for _, step := range []int{1, 2, 10, 1000} {
			if eps == 0 && step != 2 {
				continue
			}
			for _, wd := range []float64{0, 0.1} {
				o := &AdamW{cfg: AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: eps}, step: step}
				out = append(out, struct {
					name string
					s    adamScalars
				}{fmt.Sprintf("eps=%g/step=%d/wd=%g", eps, step, wd), o.scalars(1e-3, wd)})
			}
		}
	}
	return out
}

// TestAdamWUpdateMatchesGoTwin holds update (the C kernel in the default build) to updateGo bit
// for bit, on every input distribution, length and step constant, at an aligned and an
// unaligned start.
func TestAdamWUpdateMatchesGoTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 37))
	for _, in := range adamKernelInputs {
		for _, n := range adamKernelLengths {
			for _, off := range []int{0, 3} {
				base := newAdamState(r, off+n, in.p, in.g, in.m, in.v)
				for _, sc := range adamKernelScalars() {
					t.Run(fmt.Sprintf("%s/%s/n=%d/off=%d/%s", adamwImpl, in.name, n, off, sc.name), func(t *testing.T) {
						got, want := base.clone(), base.clone()
						sc.s.update(got.p[off:], got.g[off:], got.m[off:], got.v[off:])
						sc.s.updateGo(want.p[off:], want.g[off:], want.m[off:], want.v[off:])
						if i := got.firstDiff(want); i >= 0 {
							t.Fatalf("element %d (p %g g %g m %g v %g): p %x m %x v %x, Go twin %x %x %x", i,
								base.p[i], base.g[i], base.m[i], base.v[i], got.p[i], got.m[i], got.v[i], want.p[i], want.m[i], want.v[i])
						}
						if !slices.Equal(got.g, base.g) {
							t.Fatal("the gradient changed")
						}
					})
				}
			}
		}
	}
}

// TestAdamWUpdateStoredMatchesGoTwin holds updateStored (update per block, then rounding) to
// updateGo on the whole slices followed by rounding p, m, v to the format, for bf16 and f16
// storage, on half-valued inputs.
func TestAdamWUpdateStoredMatchesGoTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 43))
	for _, format := range []nn.Autocast{nn.AutocastBF16, nn.AutocastF16} {
		for _, in := range adamKernelInputs {
			for _, n := range adamKernelLengths {
				base := newAdamState(r, n, in.p, in.g, in.m, in.v)
				for _, x := range [][]float32{base.p, base.g, base.m, base.v} {
					format.Round(x)
				}
				for _, sc := range adamKernelScalars() {
					t.Run(fmt.Sprintf("%s/%v/%s/n=%d/%s", adamwImpl, format, in.name, n, sc.name), func(t *testing.T) {
						got, want := base.clone(), base.clone()
						sc.s.updateStored(format, got.p, got.g, got.m, got.v)
						sc.s.updateGo(want.p, want.g, want.m, want.v)
						format.Round(want.p)
						format.Round(want.m)
						format.Round(want.v)
						if i := got.firstDiff(want); i >= 0 {
							t.Fatalf("element %d (p %g g %g m %g v %g): p %x m %x v %x, Go twin %x %x %x", i,
								base.p[i], base.g[i], base.m[i], base.v[i], got.p[i], got.m[i], got.v[i], want.p[i], want.m[i], want.v[i])
						}
					})
				}
			}
		}
	}
}

// TestAdamWUpdateAllocatesNothing checks that a call of update (a cgo call in the default
// build) allocates nothing.
func TestAdamWUpdateAllocatesNothing(t *testing.T) {
	const n = 1000
	st := newAdamState(rand.New(rand.NewPCG(47, 53)), n, normal, normal, normal, positive(normal))
	s := (&AdamW{cfg: DefaultAdamW, step: 1}).scalars(1e-3, 0.1)
	if a := testing.AllocsPerRun(10, func() { s.update(st.p, st.g, st.m, st.v) }); a != 0 {
		t.Fatalf("update (%s) allocates %v times per call", adamwImpl, a)
	}
}

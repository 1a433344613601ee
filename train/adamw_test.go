package train

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// torchOps is the independent twin of adamScalars.update: torch 1.13's ops for one element,
// each computed exactly in big.Float and rounded to float32 once (round32), in the order
// _single_tensor_adamw issues them.
func torchOps(s adamScalars, p, g, m, v float32) (pNew, mNew, vNew float32) {
	x := exact
	pd := round32(prod(x(p), x(s.decay)))                                         // param.mul_(1 - lr*wd)
	m1 := round32(prod(x(m), x(s.beta1)))                                         // exp_avg.mul_(beta1)
	m2 := round32(sum(prod(x(g), x(s.oneMinus1)), x(m1)))                         // .add_(grad, alpha=1-beta1): fmadd
	v1 := round32(prod(x(v), x(s.beta2)))                                         // exp_avg_sq.mul_(beta2)
	v2 := round32(sum(prod(x(round32(prod(x(s.oneMinus2), x(g)))), x(g)), x(v1))) // .addcmul_(g, g, value=1-beta2)
	sq := round32(new(big.Float).SetPrec(1024).Sqrt(x(v2)))                       // exp_avg_sq.sqrt()
	d1 := round32(new(big.Float).SetPrec(1024).Quo(x(sq), x(s.bc2Sqrt)))          // / bias_correction2_sqrt
	d := round32(sum(x(d1), x(s.eps)))                                            // .add_(eps)
	q1 := round32(prod(x(s.negStep), x(m2)))                                      // addcdiv_: value * tensor1
	q := round32(new(big.Float).SetPrec(1024).Quo(x(q1), x(d)))                   // / tensor2
	return round32(sum(x(pd), x(q))), m2, v2                                      // self + …
}

func TestAdamWOpOrder(t *testing.T) {
	// lr 1e-3, wd 0.1 at steps 1 and 7: the scalars as Python computes them, then rounded.
	o := &AdamW{cfg: AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1}}
	o.step = 1
	s1 := o.scalars(1e-3, 0.1)
	if s1.decay != float32(0.9999) || s1.negStep != -float32(1e-3/(1-0.9)) || s1.bc2Sqrt != float32(math.Sqrt(1-0.999)) {
		t.Fatalf("step-1 scalars %+v", s1)
	}
	if s1.oneMinus1 != float32(0.09999999999999998) || s1.oneMinus2 != float32(0.0010000000000000009) {
		t.Fatalf("1-β scalars %+v: 1-β must be computed in float64, then rounded", s1)
	}
	o.step = 7
	s7 := o.scalars(1e-3, 0.1)
	cases := []struct {
		name       string
		s          adamScalars
		p, g, m, v float32
		wantP      float32 // pinned from torchOps, so that a change of either shows
	}{
		{"step1 from zero state", s1, 0.5, 0.25, 0, 0, 0x1.feeccp-02},
		{"step1 negative grad", s1, -1.25, -3e-3, 0, 0, -0x1.3fb644p+00},
		{"step7 small v", s7, 0.1, 1e-4, 2e-5, 3e-9, 0x1.993962p-04},
		{"step7 large grad", s7, 2, 7.5, 0.3, 0.02, 0x1.ffcc1ep+00},
		{"step7 grad near zero", s7, -0.03, -1e-9, 1e-6, 1e-12, -0x1.edd4bcp-06},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wp, wm, wv := torchOps(c.s, c.p, c.g, c.m, c.v)
			p, g, m, v := []float32{c.p}, []float32{c.g}, []float32{c.m}, []float32{c.v}
			c.s.update(p, g, m, v)
			if p[0] != wp || m[0] != wm || v[0] != wv {
				t.Fatalf("update gives p %x m %x v %x, torch's ops give p %x m %x v %x", p[0], m[0], v[0], wp, wm, wv)
			}
			if p[0] != c.wantP {
				t.Errorf("p = %x, pinned %x", p[0], c.wantP)
			}
		})
	}
}

// TestAdamWStoredRoundsTorchOps checks the half-stored update against its twin: torch's ops
// for each element computed exactly (torchOps), then p, m, v rounded to the format, on half
// inputs spanning several rounding blocks.
func TestAdamWStoredRoundsTorchOps(t *testing.T) {
	o := &AdamW{cfg: AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, step: 3}
	s := o.scalars(1e-3, 0.1)
	for _, format := range []nn.Autocast{nn.AutocastBF16, nn.AutocastF16} {
		t.Run(format.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(13, 14))
			n := 2*storedBlock + 3
			p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range n {
				p[i] = format.RoundValue(float32(r.NormFloat64()))
				g[i] = format.RoundValue(float32(r.NormFloat64() * 0.1))
				m[i] = format.RoundValue(float32(r.NormFloat64() * 0.01))
				v[i] = format.RoundValue(float32(r.Float64() * 1e-3))
			}
			p0, m0, v0 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
			s.updateStored(format, p, g, m, v)
			for i := range n {
				wp, wm, wv := torchOps(s, p0[i], g[i], m0[i], v0[i])
				wp, wm, wv = format.RoundValue(wp), format.RoundValue(wm), format.RoundValue(wv)
				if p[i] != wp || m[i] != wm || v[i] != wv {
					t.Fatalf("element %d: p %x m %x v %x, want %x %x %x", i, p[i], m[i], v[i], wp, wm, wv)
				}
			}
		})
	}
}

// TestAdamWMatchesFloat64 runs the fp32 AdamW and a float64 transcription of the textbook
// update on the same synthetic gradients, with weight decay on one parameter only.
func TestAdamWMatchesFloat64(t *testing.T) {
	const steps, lr, wd = 200, 1e-3, 0.1
	r := rand.New(rand.NewPCG(7, 8))
	params := []*Param{
		{Name: "w", Shape: []int{3, 4}},
		{Name: "b", Shape: []int{4}},
		{Name: "A_log", Shape: []int{2, 3}, NoDecay: true},
	}
	ref := make([][]float64, len(params))
	for i, p := range params {
		p.Data, p.Grad = make([]float32, p.numel()), make([]float32, p.numel())
		ref[i] = make([]float64, p.numel())
		for j := range p.Data {
			p.Data[j] = float32(r.NormFloat64())
			ref[i][j] = float64(p.Data[j])
		}
	}
	opt, err := NewAdamW(params, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd})
	if err != nil {
		t.Fatal(err)
	}
	m, v := make([][]float64, len(params)), make([][]float64, len(params))
	for i := range params {
		m[i], v[i] = make([]float64, params[i].numel()), make([]float64, params[i].numel())
	}
	for k := 1; k <= steps; k++ {
		for i, p := range params {
			decay := 0.0
			if p.Decays() {
				decay = wd
			}
			for j := range p.Grad {
				p.Grad[j] = float32(r.NormFloat64() * math.Exp(r.NormFloat64()))
				g := float64(p.Grad[j])
				ref[i][j] *= 1 - lr*decay
				m[i][j] = 0.9*m[i][j] + 0.1*g
				v[i][j] = 0.999*v[i][j] + 0.001*g*g
				mHat := m[i][j] / (1 - math.Pow(0.9, float64(k)))
				vHat := v[i][j] / (1 - math.Pow(0.999, float64(k)))
				ref[i][j] -= lr * mHat / (math.Sqrt(vHat) + 1e-8)
			}
		}
		opt.Step(lr)
	}
	for i, p := range params {
		for j, x := range p.Data {
			// 200 updates of at most lr each, every op rounded at fp32: a few 1e-6.
			if d := math.Abs(float64(x) - ref[i][j]); d > 5e-6 {
				t.Fatalf("%s[%d] = %v, float64 reference %v (diff %.3g)", p.Name, j, x, ref[i][j], d)
			}
		}
	}
}

// TestAdamWDecaysOnlyTheDecayGroup checks that with zero gradients only weight decay moves
// the parameters, and only those of rank >= 2 without the no-decay flag.
func TestAdamWDecaysOnlyTheDecayGroup(t *testing.T) {
	params := []*Param{
		{Name: "w", Shape: []int{1, 2}, Data: []float32{1, -2}, Grad: make([]float32, 2)},
		{Name: "bias", Shape: []int{2}, Data: []float32{1, -2}, Grad: make([]float32, 2)},
		{Name: "D", Shape: []int{1, 2}, Data: []float32{1, -2}, Grad: make([]float32, 2), NoDecay: true},
	}
	opt, err := NewAdamW(params, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	opt.Step(0.1)
	want := [][]float32{{0.95, -1.9}, {1, -2}, {1, -2}}
	for i, p := range params {
		for j := range p.Data {
			if p.Data[j] != want[i][j] {
				t.Errorf("%s = %v, want %v", p.Name, p.Data, want[i])
				break
			}
		}
	}
}

func TestNewAdamWRejects(t *testing.T) {
	for _, c := range []struct {
		name   string
		params []*Param
		cfg    AdamWConfig
	}{
		{"beta1 of 1", nil, AdamWConfig{Beta1: 1, Beta2: 0.999}},
		{"negative eps", nil, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: -1}},
		{"short grad", []*Param{{Name: "w", Shape: []int{2}, Data: make([]float32, 2), Grad: make([]float32, 1)}}, DefaultAdamW},
		{"tied weight twice", []*Param{{Name: "e", Shape: []int{1}, Data: []float32{0}, Grad: []float32{0}}, {Name: "e", Shape: []int{1}, Data: []float32{0}, Grad: []float32{0}}}, DefaultAdamW},
	} {
		if _, err := NewAdamW(c.params, c.cfg); err == nil {
			t.Errorf("%s: no error", c.name)
		} else {
			t.Logf("%s: %v", c.name, err)
		}
	}
}

// TestAdamWRoundingChoicesMatter shows that the choices pinned above are visible: an unfused
// first moment, or the textbook association m̂/(√v̂+ε), each change some fp32 results.
func TestAdamWRoundingChoicesMatter(t *testing.T) {
	o := &AdamW{cfg: AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, step: 7}
	s := o.scalars(1e-3, 0.1)
	bc1 := float32(1 - powInt(0.9, 7))
	r := rand.New(rand.NewPCG(9, 10))
	var unfused, textbook int
	for range 10000 {
		p, g := float32(r.NormFloat64()), float32(r.NormFloat64())
		m, v := float32(r.NormFloat64()*0.1), float32(r.Float64()*0.01)
		want, wm, wv := torchOps(s, p, g, m, v)
		if float32(float32(g*s.oneMinus1)+float32(m*s.beta1)) != wm {
			unfused++
		}
		mHat, vHat := wm/bc1, wv/s.bc2Sqrt/s.bc2Sqrt
		if float32(p*s.decay)-float32(1e-3)*mHat/(float32(math.Sqrt(float64(vHat)))+s.eps) != want {
			textbook++
		}
	}
	if unfused == 0 || textbook == 0 {
		t.Fatalf("unfused m differs in %d of 10000 elements, textbook order in %d: want both > 0", unfused, textbook)
	}
	t.Logf("of 10000 elements, an unfused m differs in %d, the textbook order in %d", unfused, textbook)
}

// TestAdamWIndependentOfCores checks that spreading a step over goroutines changes no bit.
func TestAdamWIndependentOfCores(t *testing.T) {
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r := rand.New(rand.NewPCG(11, 12))
		n := 3*chunkElems + 17
		p := &Param{Name: "w", Shape: []int{n, 1}, Data: make([]float32, n), Grad: make([]float32, n)}
		opt, err := NewAdamW([]*Param{p}, AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			for i := range p.Grad {
				p.Grad[i] = float32(r.NormFloat64())
			}
			opt.Step(1e-3)
		}
		return p.Data
	}
	if one, four := run(1), run(4); !slices.Equal(one, four) {
		t.Fatal("AdamW results depend on GOMAXPROCS")
	}
}

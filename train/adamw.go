package train

import (
	"fmt"
	"math"

	"github.com/steady-ml/steady/nn"
)

// AdamWConfig holds AdamW's hyperparameters other than the learning rate, which each Step
// is given (the schedule sets it).
type AdamWConfig struct {
	Beta1, Beta2 float64 // torch default (0.9, 0.999)
	Eps          float64 // torch default 1e-8
	// WeightDecay applies to the parameters for which Param.Decays holds; the others get 0.
	WeightDecay float64
	// Storage is the format the parameters, exp_avg and exp_avg_sq are stored in: AutocastOff
	// (float32), or a half format in the pure precision modes, where torch's state has the
	// parameter's half dtype. Each update is then computed in float32 from the stored half
	// values and its three results rounded to the format.
	Storage nn.Autocast
}

// DefaultAdamW is torch.optim.AdamW's defaults with HF Trainer's weight decay of 0.
var DefaultAdamW = AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}

// AdamW is torch.optim.AdamW of PyTorch 1.13 (single-tensor path: foreach off, amsgrad off,
// maximize off), reproducing its fp32 results bit for bit. Its state is fp32, as torch's is for
// fp32 parameters, or half-valued with AdamWConfig.Storage (the pure precision modes).
//
// Torch keeps a step count per parameter and skips parameters whose grad is None; here every
// parameter has a gradient (zero when unused), so all step together and an unused parameter is
// still decayed — torch with zero_grad(set_to_none=True) would leave it untouched.
type AdamW struct {
	cfg    AdamWConfig
	params []*Param
	wd     []float64   // per parameter: cfg.WeightDecay or 0
	m, v   [][]float32 // exp_avg, exp_avg_sq: fp32, shaped as each parameter
	step   int         // updates taken (torch's state["step"], a float32 tensor holding an integer)
}

// NewAdamW returns an optimiser for params with zeroed moments.
func NewAdamW(params []*Param, cfg AdamWConfig) (*AdamW, error) {
	if err := checkParams(params); err != nil {
		return nil, err
	}
	if !(cfg.Beta1 >= 0 && cfg.Beta1 < 1 && cfg.Beta2 >= 0 && cfg.Beta2 < 1) {
		return nil, fmt.Errorf("train: AdamW betas (%g, %g) must lie in [0, 1)", cfg.Beta1, cfg.Beta2)
	}
	if !(cfg.Eps >= 0) || !(cfg.WeightDecay >= 0) {
		return nil, fmt.Errorf("train: AdamW eps %g and weight decay %g must be >= 0", cfg.Eps, cfg.WeightDecay)
	}
	if cfg.Storage > nn.AutocastF16 {
		return nil, fmt.Errorf("train: AdamW storage format %v is not one of float32, bfloat16, float16", cfg.Storage)
	}
	o := &AdamW{cfg: cfg, params: params}
	for _, p := range params {
		wd := 0.0
		if p.Decays() {
			wd = cfg.WeightDecay
		}
		o.wd = append(o.wd, wd)
		o.m = append(o.m, make([]float32, len(p.Data)))
		o.v = append(o.v, make([]float32, len(p.Data)))
	}
	return o, nil
}

// StepCount returns the number of updates taken.
func (o *AdamW) StepCount() int { return o.step }

// Step updates every parameter from its gradient with learning rate lr. Elements are
// independent, so the work is spread over the cores without changing any result.
func (o *AdamW) Step(lr float64) {
	o.step++
	decayed, exempt := o.scalars(lr, o.cfg.WeightDecay), o.scalars(lr, 0)
	lens := make([]int, len(o.params))
	for i, p := range o.params {
		lens[i] = len(p.Data)
	}
	forChunks(lens, func(i, lo, hi int) {
		s := exempt
		if o.wd[i] != 0 {
			s = decayed
		}
		p := o.params[i]
		if o.cfg.Storage == nn.AutocastOff {
			s.update(p.Data[lo:hi], p.Grad[lo:hi], o.m[i][lo:hi], o.v[i][lo:hi])
			return
		}
		s.updateStored(o.cfg.Storage, p.Data[lo:hi], p.Grad[lo:hi], o.m[i][lo:hi], o.v[i][lo:hi])
	})
}

// adamScalars are the per-step constants of one parameter, computed in float64 as Python
// computes them and rounded to float32 as the kernel that applies each one rounds it (a Python
// float passed to an fp32 tensor op becomes a wrapped double scalar, which TensorIterator casts
// to the fp32 common dtype before the kernel runs).
type adamScalars struct {
	decay     float32 // fl32(1 − lr·wd)               param.mul_(1 - lr * weight_decay)
	beta1     float32 // fl32(β1)                      exp_avg.mul_(beta1)
	oneMinus1 float32 // fl32(1 − β1)                  .add_(grad, alpha=1 - beta1)
	beta2     float32 // fl32(β2)                      exp_avg_sq.mul_(beta2)
	oneMinus2 float32 // fl32(1 − β2)                  .addcmul_(grad, grad, value=1 - beta2)
	bc2Sqrt   float32 // fl32(sqrt(1 − β2^t))          exp_avg_sq.sqrt() / bias_correction2_sqrt
	eps       float32 // fl32(ε)                       .add_(eps)
	negStep   float32 // fl32(−lr/(1 − β1^t))          param.addcdiv_(exp_avg, denom, value=-step_size)
}

func (o *AdamW) scalars(lr, wd float64) adamScalars {
	b1, b2 := o.cfg.Beta1, o.cfg.Beta2
	bc1 := 1 - powInt(b1, o.step) // bias_correction1 = 1 - beta1 ** step   (Python float)
	bc2 := 1 - powInt(b2, o.step) // bias_correction2 = 1 - beta2 ** step
	stepSize := lr / bc1          // step_size = lr / bias_correction1
	return adamScalars{
		decay:     float32(1 - float64(lr*wd)),
		beta1:     float32(b1),
		oneMinus1: float32(1 - b1),
		beta2:     float32(b2),
		oneMinus2: float32(1 - b2),
		bc2Sqrt:   float32(math.Sqrt(bc2)), // _dispatch_sqrt: math.sqrt, correctly rounded
		eps:       float32(o.cfg.Eps),
		negStep:   float32(-stepSize),
	}
}

// updateGo applies one AdamW step to one parameter, element by element, rounding exactly where
// torch 1.13's CPU kernels round. p, g, m, v: (numel,), fp32. It is the readable twin of
// update, which runs it in the purego build and otherwise runs the same operations in the
// same order vectorised in C (adamw.c), bit for bit.
//
// The fused multiply-adds are those of the vectorised kernels: the ufunc add kernel computes
// self + alpha·other as vec::fmadd(other, alpha, self), and addcmul's
// self + value·t1·t2 is contracted by GCC (C++ defaults to -ffp-contract=fast; the AVX2 and
// AVX-512 kernels are built with -mfma) into fma(value·t1, t2, self). The scalar tail loops
// of those kernels are contracted the same way, so every element rounds alike.
func (s adamScalars) updateGo(p, g, m, v []float32) {
	p, m, v = p[:len(g)], m[:len(g)], v[:len(g)]
	for i, gi := range g {
		// Decoupled weight decay: p ← fl(p·fl32(1 − lr·wd)).
		pi := float32(p[i] * s.decay)
		// First moment: m ← fma(g, fl32(1−β1), fl(m·fl32(β1))).
		mi := fma32(gi, s.oneMinus1, float32(m[i]*s.beta1))
		// Second moment: v ← fma(fl(fl32(1−β2)·g), g, fl(v·fl32(β2))).
		vi := fma32(float32(s.oneMinus2*gi), gi, float32(v[i]*s.beta2))
		// denom = fl(fl(fl(√v) / fl32(√(1−β2^t))) + fl32(ε)): sqrt, div, add_ each round.
		denom := float32(float32(math.Sqrt(float64(vi)))/s.bc2Sqrt) + s.eps
		// addcdiv_: p ← fl(p + fl(fl(fl32(−step_size)·m) / denom)); the kernel multiplies
		// by the value before dividing, and nothing here can fuse.
		p[i] = pi + float32(float32(s.negStep*mi)/denom)
		m[i], v[i] = mi, vi
	}
}

// updateStored is update for p, m and v stored in a half format (the pure precision modes):
// each block is updated in float32 from its half values, exactly as update computes, and the
// new p, m, v are rounded to the format while the block is in L1:
//
//	p, m, v ← round(update(p, g, m, v))
//
// torch's half AdamW also rounds each intermediate tensor (p·(1 − lr·wd), exp_avg·β1, the
// denominator…); this rounds the three stored results only, so eps keeps its float32 value
// where an fp16 tensor op would flush 1e-8 to zero.
func (s adamScalars) updateStored(format nn.Autocast, p, g, m, v []float32) {
	inBlocks(len(g), func(i, j int) {
		s.update(p[i:j], g[i:j], m[i:j], v[i:j])
		format.Round(p[i:j])
		format.Round(m[i:j])
		format.Round(v[i:j])
	})
}

package train

import (
	"math"
	"sync/atomic"

	"github.com/steady-ml/steady/nn"
)

// LossScaler is dynamic loss scaling as torch.cuda.amp.GradScaler does it, with its defaults:
// the loss is multiplied by Scale before backward, the gradients by 1/Scale after; a step whose
// gradients hold an inf or NaN is skipped and the scale halved; after GrowthInterval clean steps
// in a row the scale doubles. Scale is fp32, as GradScaler's _scale tensor is.
type LossScaler struct {
	Scale          float32 `json:"scale"`           // default 2^16
	GrowthFactor   float32 `json:"growth_factor"`   // default 2
	BackoffFactor  float32 `json:"backoff_factor"`  // default 0.5
	GrowthInterval int     `json:"growth_interval"` // default 2000
	// GrowthTracker counts the clean steps since the scale last changed.
	GrowthTracker int `json:"_growth_tracker"`
	// Skipped counts the steps skipped for non-finite gradients.
	Skipped int `json:"skipped"`
	// ConsecutiveSkipped counts the steps skipped since the last clean one; the trainer stops
	// when it reaches Options.MaxSkippedSteps.
	ConsecutiveSkipped int `json:"consecutive_skipped"`
}

// NewLossScaler returns a scaler with GradScaler's defaults.
func NewLossScaler() *LossScaler {
	return &LossScaler{Scale: 65536, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 2000}
}

// Unscale multiplies every gradient by 1/Scale (GradScaler.unscale_: inv_scale =
// scale.double().reciprocal().float()) and reports whether all of them are finite.
func (s *LossScaler) Unscale(params []*Param) (finite bool) {
	inv := float32(1 / float64(s.Scale))
	finite = true
	for _, p := range params {
		for i, g := range p.Grad {
			g *= inv
			p.Grad[i] = g
			if math.IsNaN(float64(g)) || math.IsInf(float64(g), 0) {
				finite = false
			}
		}
	}
	return finite
}

// unscaleStored is Unscale for gradients stored in a half format (fp16-pure): the scaled
// gradient the backward left in float32 is first rounded to the half .grad, where a value past
// the format's range overflows to inf, then unscaled in place in that format, as
// GradScaler.unscale_ does for fp16 gradients with allow_fp16:
//
//	g ← round(round(g)·inv_scale)
//
// It reports whether all of them are finite.
func (s *LossScaler) unscaleStored(params []*Param, format nn.Autocast) (finite bool) {
	inv := float32(1 / float64(s.Scale))
	var overflow atomic.Bool
	forChunks(gradLens(params), func(t, lo, hi int) {
		g := params[t].Grad[lo:hi]
		inBlocks(len(g), func(i, j int) {
			b := g[i:j]
			format.Round(b)
			mulBy(b, inv)
			format.Round(b)
			if !allFinite(b) {
				overflow.Store(true)
			}
		})
	})
	return !overflow.Load()
}

// Update adjusts the scale after a step (torch's _amp_update_scale_ CPU kernel): back off and
// count a skipped step when the gradients were not finite, else grow after GrowthInterval clean
// steps in a row (unless growing would overflow fp32). It never gives up by itself: the trainer
// stops after Options.MaxSkippedSteps skipped steps in a row (OverflowError).
func (s *LossScaler) Update(finite bool) {
	if !finite {
		s.Scale *= s.BackoffFactor
		s.GrowthTracker = 0
		s.Skipped++
		s.ConsecutiveSkipped++
		return
	}
	s.ConsecutiveSkipped = 0
	s.GrowthTracker++
	if s.GrowthTracker == s.GrowthInterval {
		if grown := s.Scale * s.GrowthFactor; !math.IsInf(float64(grown), 0) {
			s.Scale = grown
		}
		s.GrowthTracker = 0
	}
}

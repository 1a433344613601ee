package train

import (
	"fmt"
	"math"
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
}

// NewLossScaler returns a scaler with GradScaler's defaults.
func NewLossScaler() *LossScaler {
	return &LossScaler{Scale: 65536, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 2000}
}

// minLossScale is the scale below which training stops: the gradients keep overflowing
// however small the scale, so they are NaN or inf for a reason scaling cannot fix.
const minLossScale = 0x1p-24

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

// Update adjusts the scale after a step (torch's _amp_update_scale_ CPU kernel): back off and
// count a skipped step when the gradients were not finite, else grow after GrowthInterval clean
// steps in a row (unless growing would overflow fp32). It fails once the scale falls below
// 2^-24.
func (s *LossScaler) Update(finite bool) error {
	if !finite {
		s.Scale *= s.BackoffFactor
		s.GrowthTracker = 0
		s.Skipped++
		if s.Scale < minLossScale {
			return fmt.Errorf("train: loss scale fell to %g after %d skipped steps: the gradients are not finite at any scale", s.Scale, s.Skipped)
		}
		return nil
	}
	s.GrowthTracker++
	if s.GrowthTracker == s.GrowthInterval {
		if grown := s.Scale * s.GrowthFactor; !math.IsInf(float64(grown), 0) {
			s.Scale = grown
		}
		s.GrowthTracker = 0
	}
	return nil
}

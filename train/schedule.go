package train

import (
	"fmt"
	"math"
)

// Schedule names a learning-rate schedule of HF transformers (optimization.py, v4.40).
type Schedule string

const (
	// Linear is get_linear_schedule_with_warmup: 0 → 1 over the warmup, then linearly to 0
	// at the last step.
	Linear Schedule = "linear"
	// Cosine is get_cosine_schedule_with_warmup with num_cycles 0.5: after the warmup, half
	// a cosine period from 1 down to 0.
	Cosine Schedule = "cosine"
	// ConstantWithWarmup is get_constant_schedule_with_warmup; with no warmup steps it is
	// get_constant_schedule.
	ConstantWithWarmup Schedule = "constant_with_warmup"
)

// ParseSchedule checks a schedule name.
func ParseSchedule(name string) (Schedule, error) {
	switch s := Schedule(name); s {
	case Linear, Cosine, ConstantWithWarmup:
		return s, nil
	case "constant":
		return ConstantWithWarmup, nil
	}
	return "", fmt.Errorf("train: unknown schedule %q (want linear, cosine, constant or constant_with_warmup)", name)
}

// Factor returns the schedule's multiplier λ(step) (HF's lr_lambda(current_step)) for
// warmup warm-up steps and total optimiser steps, in Python's float64 arithmetic. torch's
// LambdaLR sets the learning rate of optimiser update k (1-based) to base_lr·λ(k−1): it
// evaluates λ(0) at construction and advances after each optimizer.step().
func (s Schedule) Factor(step, warmup, total int) float64 {
	if step < warmup {
		// float(current_step) / float(max(1, num_warmup_steps))
		return float64(step) / float64(max(1, warmup))
	}
	switch s {
	case Linear:
		// max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
		return max(0.0, float64(total-step)/float64(max(1, total-warmup)))
	case Cosine:
		const numCycles = 0.5
		// progress = float(current_step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
		progress := float64(step-warmup) / float64(max(1, total-warmup))
		// max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))), left to right
		arg := float64(float64(math.Pi*numCycles)*2.0) * progress
		return max(0.0, 0.5*(1.0+cosRounded(arg)))
	default:
		return 1
	}
}

// LR returns the learning rate of optimiser update k (1-based): base·λ(k−1), the float64
// product LambdaLR.get_lr computes.
func (s Schedule) LR(base float64, k, warmup, total int) float64 {
	return base * s.Factor(k-1, warmup, total)
}

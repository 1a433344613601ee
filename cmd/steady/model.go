package main

import (
	"context"
	"fmt"
	"io"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/hub"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/runner"
	"github.com/steady-ml/steady/train"
)

// loadModel builds the model of a checkpoint folder or hub id.
func loadModel(ctx context.Context, ref string) (model.LM, error) {
	dir, err := resolveModel(ctx, ref)
	if err != nil {
		return nil, err
	}
	return checkpoint.Load(dir)
}

// loadAdapted builds the model of ref, sets it up to compute in precision p
// (runner.ApplyPrecision) and, when adapter is not "", attaches the PEFT
// LoRA adapter in that folder, reporting the adapted modules (and the
// targets that matched none) to log.
func loadAdapted(ctx context.Context, ref, adapter string, p train.Precision, log io.Writer) (model.LM, error) {
	lm, err := loadModel(ctx, ref)
	if err != nil {
		return nil, err
	}
	if err := runner.ApplyPrecision(lm, p); err != nil {
		return nil, fmt.Errorf("--precision: %w", err)
	}
	if adapter == "" {
		return lm, nil
	}
	m, ok := lm.(peft.Adaptable)
	if !ok {
		return nil, fmt.Errorf("--adapter %s: a %T takes no adapters", adapter, lm)
	}
	a, err := peft.Load(adapter, m)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "adapter %s: LoRA r %d, scale %g on %v\n", adapter, a.Config.R, a.Config.Scale(), a.Match)
	return lm, nil
}

// resolveModel turns --model into a local folder: a folder is used as it is,
// ORG/NAME[@REV] comes from the Hugging Face cache or is downloaded into it.
func resolveModel(ctx context.Context, ref string) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return hub.NewClient().Resolve(ctx, ref)
}

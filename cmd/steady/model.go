package main

import (
	"context"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/hub"
	"github.com/steady-ml/steady/model"
)

// loadModel builds the model of a checkpoint folder or hub id.
func loadModel(ctx context.Context, ref string) (model.LM, error) {
	dir, err := resolveModel(ctx, ref)
	if err != nil {
		return nil, err
	}
	return checkpoint.Load(dir)
}

// resolveModel turns --model into a local folder: a folder is used as it is,
// ORG/NAME[@REV] comes from the Hugging Face cache or is downloaded into it.
func resolveModel(ctx context.Context, ref string) (string, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return hub.NewClient().Resolve(ctx, ref)
}

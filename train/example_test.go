package train

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/steady-ml/steady/internal/progress"
)

// A run of 8 optimiser steps of 2 accumulated micro-batches, checkpointed every 4 steps and
// resumable from the output folder.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	model := newLinearModel(1)      // a Model[[]example]: Params() and Step(batch, seed)
	data := newLinearData(16, 2, 1) // a Data[[]example]: 8 micro-batches per epoch
	quiet := false
	trainer, err := New[[]example](model, data, Options{
		OutputDir: dir, MaxSteps: 8, GradAccum: 2, LR: 0.05, Warmup: 1, Schedule: Linear,
		WeightDecay: 0.01, MaxGradNorm: 1, LogEvery: 4, SaveEvery: 4, SaveTotalLimit: 1,
		Progress: progress.Options{Out: io.Discard, Terminal: &quiet},
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	state, err := trainer.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	checkpoints, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*"))
	for _, c := range checkpoints {
		fmt.Println(filepath.Base(c))
	}
	fmt.Println("global step", state.GlobalStep, "epoch", state.Epoch, "logged steps", len(state.LogHistory))
	// Output:
	// checkpoint-8
	// global step 8 epoch 2 logged steps 2
}

package train

import (
	"fmt"
	"path/filepath"
)

// save writes checkpoint-<step> and rotates the older ones away.
func (t *Trainer[B]) save() error {
	step := t.state.GlobalStep
	dir := CheckpointDir(t.opts.OutputDir, step)
	if t.bestStep == step {
		t.state.BestModelCheckpoint = &dir
	}
	// The schedule has stepped once per update taken: skipped steps did not advance it.
	updates := t.opt.StepCount()
	lr := t.run.Schedule.LR(t.run.LR, updates+1, t.run.Warmup, t.run.MaxSteps)
	files := []checkpointFile{
		{OptimizerFile, t.opt.Save},
		{SchedulerFile, jsonFile(SchedulerState{BaseLRs: []float64{t.run.LR}, LastEpoch: updates, StepCount: updates + 1, LastLR: []float64{lr}})},
		{RNGStateFile, jsonFile(t.rngState())},
		{RunConfigFile, jsonFile(t.run)},
	}
	if t.scaler != nil {
		files = append(files, checkpointFile{ScalerFile, jsonFile(t.scaler)})
	}
	files = append(files, checkpointFile{StateFile, jsonFile(&t.state)})
	if err := writeCheckpoint(dir, t.weights.SaveWeights, files); err != nil {
		return err
	}
	t.lastCheckpoint = dir
	keep := ""
	if t.state.BestModelCheckpoint != nil {
		keep = *t.state.BestModelCheckpoint
	}
	return rotateCheckpoints(t.opts.OutputDir, t.opts.SaveTotalLimit, keep)
}

// rngState is the data position after the current step.
func (t *Trainer[B]) rngState() RNGState {
	mb := t.state.GlobalStep * t.run.GradAccum
	return RNGState{Seed: t.run.Seed, MicroBatch: mb, Epoch: mb / t.run.BatchesPerEpoch, Index: mb % t.run.BatchesPerEpoch}
}

// jsonFile returns a writer of v as a JSON checkpoint file.
func jsonFile(v any) func(path string) error {
	return func(path string) error { return writeJSON(path, v) }
}

// resume restores the weights, optimiser, scaler, trainer state and data position from a
// checkpoint folder (or the latest one), after checking that its run config matches.
func (t *Trainer[B]) resume(from string) error {
	dir := from
	if from == "latest" {
		var err error
		if dir, err = LatestCheckpoint(t.opts.OutputDir); err != nil {
			return err
		}
	}
	var saved RunConfig
	if err := readJSON(filepath.Join(dir, RunConfigFile), &saved); err != nil {
		return err
	}
	if err := checkResume(dir, saved, t.run); err != nil {
		return err
	}
	var state TrainerState
	if err := readJSON(filepath.Join(dir, StateFile), &state); err != nil {
		return err
	}
	var rng RNGState
	if err := readJSON(filepath.Join(dir, RNGStateFile), &rng); err != nil {
		return err
	}
	if want := state.GlobalStep * t.run.GradAccum; rng.MicroBatch != want {
		return fmt.Errorf("train: %s: %s is at micro-batch %d, but global_step %d × %d micro-batches is %d",
			dir, RNGStateFile, rng.MicroBatch, state.GlobalStep, t.run.GradAccum, want)
	}
	if err := t.weights.LoadWeights(dir); err != nil {
		return fmt.Errorf("train: resuming from %s: %w", dir, err)
	}
	if err := t.opt.Load(filepath.Join(dir, OptimizerFile)); err != nil {
		return err
	}
	if t.scaler != nil {
		if err := readJSON(filepath.Join(dir, ScalerFile), t.scaler); err != nil {
			return err
		}
	}
	// The cadences may differ from the checkpoint's run; the state records this run's.
	state.LoggingSteps, state.SaveSteps, state.EvalSteps = t.opts.LogEvery, t.opts.SaveEvery, t.opts.EvalEvery
	if state.LogHistory == nil {
		state.LogHistory = []LogEntry{}
	}
	t.state = state
	t.lastCheckpoint = dir
	t.opts.Logger.Info("train: resumed", "checkpoint", dir, "step", state.GlobalStep)
	return nil
}

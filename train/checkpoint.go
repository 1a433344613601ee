package train

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Checkpoint folder contents besides the weights and the optimiser.
const (
	StateFile     = "trainer_state.json"
	RunConfigFile = "run_config.json"
	SchedulerFile = "scheduler.json"
	ScalerFile    = "scaler.json"
	RNGStateFile  = "rng_state.json"
)

// checkpointPrefix names the folders, as HF's PREFIX_CHECKPOINT_DIR.
const checkpointPrefix = "checkpoint-"

// tmpSuffix marks a checkpoint folder still being written.
const tmpSuffix = ".tmp"

// CheckpointDir returns output_dir/checkpoint-<step>.
func CheckpointDir(outputDir string, step int) string {
	return filepath.Join(outputDir, checkpointPrefix+strconv.Itoa(step))
}

// SchedulerState is scheduler.json: torch LambdaLR's state_dict, less the lambdas.
type SchedulerState struct {
	BaseLRs   []float64 `json:"base_lrs"`
	LastEpoch int       `json:"last_epoch"`
	StepCount int       `json:"_step_count"`
	LastLR    []float64 `json:"_last_lr"`
}

// RNGState is rng_state.json: the seed and the data position a resumed run continues from.
type RNGState struct {
	Seed uint64 `json:"seed"`
	// MicroBatch is the number of micro-batches consumed, over all epochs.
	MicroBatch int `json:"micro_batch"`
	// Epoch and Index locate the next micro-batch: Data.Batch(Epoch, Index).
	Epoch int `json:"epoch"`
	Index int `json:"index"`
}

// checkpointFile is one file of a checkpoint: its name and how to write it into a folder.
type checkpointFile struct {
	name  string
	write func(path string) error
}

// writeCheckpoint writes a checkpoint folder atomically: every file goes into
// checkpoint-<step>.tmp (each fsynced), which is then renamed to checkpoint-<step>. A crash
// leaves either no checkpoint-<step> or a complete one; a stale .tmp folder is removed by the
// next run. saveWeights writes the weights into the folder it is given.
func writeCheckpoint(dir string, saveWeights func(dir string) error, files []checkpointFile) error {
	tmp := dir + tmpSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := saveWeights(tmp); err != nil {
		return fmt.Errorf("train: writing the weights into %s: %w", tmp, err)
	}
	for _, f := range files {
		if err := f.write(filepath.Join(tmp, f.name)); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("train: replacing %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return syncDir(filepath.Dir(dir))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("train: fsync %s: %w", dir, err)
	}
	return nil
}

// checkpointSteps returns the steps of the complete checkpoint folders in outputDir,
// ascending; stale lists the .tmp folders a crash left behind.
func checkpointSteps(outputDir string) (steps []int, stale []string, err error) {
	entries, err := os.ReadDir(outputDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, checkpointPrefix) {
			continue
		}
		if strings.HasSuffix(name, tmpSuffix) {
			stale = append(stale, filepath.Join(outputDir, name))
			continue
		}
		step, err := strconv.Atoi(strings.TrimPrefix(name, checkpointPrefix))
		if err != nil || step < 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join(outputDir, name, StateFile)); err == nil {
			steps = append(steps, step)
		}
	}
	slices.Sort(steps)
	return steps, stale, nil
}

// LatestCheckpoint returns the complete checkpoint folder of outputDir with the highest step
// (HF's get_last_checkpoint), or an error naming outputDir when there is none.
func LatestCheckpoint(outputDir string) (string, error) {
	steps, _, err := checkpointSteps(outputDir)
	if err != nil {
		return "", err
	}
	if len(steps) == 0 {
		return "", fmt.Errorf("train: no complete %s<step> folder in %s to resume from", checkpointPrefix, outputDir)
	}
	return CheckpointDir(outputDir, steps[len(steps)-1]), nil
}

// removeStale deletes the .tmp folders of interrupted saves.
func removeStale(outputDir string) error {
	_, stale, err := checkpointSteps(outputDir)
	if err != nil {
		return err
	}
	for _, dir := range stale {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("train: removing an interrupted checkpoint: %w", err)
		}
	}
	return nil
}

// rotateCheckpoints deletes the oldest checkpoints beyond limit (save_total_limit), never the
// one named keep (the best model's), which counts toward the limit as in HF's
// _rotate_checkpoints. limit <= 0 keeps all.
func rotateCheckpoints(outputDir string, limit int, keep string) error {
	if limit <= 0 {
		return nil
	}
	steps, _, err := checkpointSteps(outputDir)
	if err != nil {
		return err
	}
	excess := len(steps) - limit
	for _, step := range steps {
		if excess <= 0 {
			break
		}
		dir := CheckpointDir(outputDir, step)
		if dir == keep {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("train: save_total_limit rotation: %w", err)
		}
		excess--
	}
	return nil
}

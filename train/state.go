package train

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/steady-ml/steady/internal/atomicfile"
)

// Number is a float64 that encodes to JSON as a number, or as null when it is NaN or infinite
// (a loss that overflowed), and decodes null back as NaN.
type Number float64

// MarshalJSON writes the shortest decimal that reads back as the same float64.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("not a number: %s", b)
	}
	*n = Number(f)
	return nil
}

// LogEntry is one entry of log_history: HF's keys (step, epoch, loss, learning_rate,
// grad_norm; eval_<metric> for evaluations) and ours (tokens_per_s, loss_scale, skipped).
type LogEntry map[string]Number

// TrainerState is trainer_state.json in HF transformers' schema (v4.40), so that tools that
// read HF runs read ours. Fields HF fills for features this trainer lacks (hyper-parameter
// search, FLOP counting) hold HF's neutral values.
type TrainerState struct {
	BestMetric          *float64   `json:"best_metric"`
	BestModelCheckpoint *string    `json:"best_model_checkpoint"`
	Epoch               float64    `json:"epoch"`
	EvalSteps           int        `json:"eval_steps"`
	GlobalStep          int        `json:"global_step"`
	IsHyperParamSearch  bool       `json:"is_hyper_param_search"`
	IsLocalProcessZero  bool       `json:"is_local_process_zero"`
	IsWorldProcessZero  bool       `json:"is_world_process_zero"`
	LogHistory          []LogEntry `json:"log_history"`
	LoggingSteps        int        `json:"logging_steps"`
	MaxSteps            int        `json:"max_steps"`
	NumInputTokensSeen  int64      `json:"num_input_tokens_seen"`
	NumTrainEpochs      int        `json:"num_train_epochs"`
	SaveSteps           int        `json:"save_steps"`
	TotalFlos           float64    `json:"total_flos"`
	TrainBatchSize      int        `json:"train_batch_size"`
	TrialName           *string    `json:"trial_name"`
	TrialParams         any        `json:"trial_params"`
}

// writeJSON writes v as indented JSON to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// readJSON decodes the JSON file at path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	return nil
}

package peft

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/steady-ml/steady/internal/atomicfile"
	"github.com/steady-ml/steady/safetensors"
)

// Save writes a to dir as PEFT's save_pretrained does: adapter_config.json
// with LoraConfig's fields (v0.11) and adapter_model.safetensors with PEFT's
// tensor names and metadata {"format": "pt"}, each file atomically.
// PeftModel.from_pretrained and Load read the result.
func Save(dir string, a *Adapter) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("adapter %s: %w", dir, err)
	}
	cfg, err := configJSON(a.Config)
	if err != nil {
		return fmt.Errorf("adapter %s: %w", dir, err)
	}
	var tensors []safetensors.Tensor
	for _, p := range a.Params() {
		tensors = append(tensors, safetensors.F32Tensor(p.Name, p.Shape, p.Data))
	}
	if err := safetensors.Write(filepath.Join(dir, WeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, ConfigFile), cfg)
}

// configJSON renders c as PEFT v0.11's LoraConfig.to_dict, keys sorted and
// indented as save_pretrained writes them.
func configJSON(c Config) ([]byte, error) {
	var targets any = c.TargetModules
	if c.TargetRegex != "" {
		targets = c.TargetRegex
	}
	var autoMapping any
	if c.BaseModelClass != "" {
		autoMapping = map[string]string{"base_model_class": c.BaseModelClass, "parent_library": parentLibrary(c.BaseModelClass)}
	}
	var baseModel any
	if c.BaseModel != "" {
		baseModel = c.BaseModel
	}
	bias := c.Bias
	if bias == "" {
		bias = "none"
	}
	fields := map[string]any{
		"alpha_pattern":           map[string]any{},
		"auto_mapping":            autoMapping,
		"base_model_name_or_path": baseModel,
		"bias":                    bias,
		"fan_in_fan_out":          c.FanInFanOut,
		"inference_mode":          true,
		"init_lora_weights":       true,
		"layer_replication":       nil,
		"layers_pattern":          nil,
		"layers_to_transform":     nil,
		"loftq_config":            map[string]any{},
		"lora_alpha":              c.Alpha,
		"lora_dropout":            c.Dropout,
		"megatron_config":         nil,
		"megatron_core":           "megatron.core",
		"modules_to_save":         nil,
		"peft_type":               "LORA",
		"r":                       c.R,
		"rank_pattern":            map[string]any{},
		"revision":                nil,
		"target_modules":          targets,
		"task_type":               nil,
		"use_dora":                false,
		"use_rslora":              c.UseRSLoRA,
	}
	return json.MarshalIndent(fields, "", "  ")
}

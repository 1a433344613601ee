package peft

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ConfigFile and WeightsFile are the file names of an adapter folder.
const (
	ConfigFile  = "adapter_config.json"
	WeightsFile = "adapter_model.safetensors"
)

// Config is the part of PEFT's LoraConfig (adapter_config.json) steady uses.
type Config struct {
	PeftType  string `json:"peft_type"`
	BaseModel string `json:"base_model_name_or_path"`
	R         int    `json:"r"`
	Alpha     float64
	Dropout   float64 `json:"lora_dropout"`
	// TargetModules is a list of module-name suffixes, or (TargetRegex) one
	// regular expression that must match a whole module name.
	TargetModules []string
	TargetRegex   string
	UseRSLoRA     bool   `json:"use_rslora"`
	Bias          string `json:"bias"`
	FanInFanOut   bool   `json:"fan_in_fan_out"`
	UseDoRA       bool   `json:"use_dora"`
	// BaseModelClass is auto_mapping.base_model_class, the transformers
	// class the adapter was made on ("MambaForCausalLM"); "" when absent.
	BaseModelClass string `json:"-"`
}

// Scale is the factor on B·A·x: α/r, or α/√r with rsLoRA (PEFT LoraLayer.update_layer).
func (c Config) Scale() float64 {
	if c.UseRSLoRA {
		return c.Alpha / math.Sqrt(float64(c.R))
	}
	return c.Alpha / float64(c.R)
}

// ReadConfig reads dir/adapter_config.json.
func ReadConfig(dir string) (Config, error) {
	path := filepath.Join(dir, ConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("adapter %s: %w", dir, err)
	}
	c, err := ParseConfig(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses adapter_config.json and checks it describes a LoRA
// adapter steady can apply.
func ParseConfig(raw []byte) (Config, error) {
	var f struct {
		Config
		Alpha         *float64        `json:"lora_alpha"`
		TargetModules json.RawMessage `json:"target_modules"`
		AutoMapping   struct {
			BaseModelClass string `json:"base_model_class"`
		} `json:"auto_mapping"`
		RankPattern       map[string]any  `json:"rank_pattern"`
		AlphaPattern      map[string]any  `json:"alpha_pattern"`
		ModulesToSave     json.RawMessage `json:"modules_to_save"`
		LayersToTransform json.RawMessage `json:"layers_to_transform"`
		LayerReplication  json.RawMessage `json:"layer_replication"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return Config{}, err
	}
	c := f.Config
	c.BaseModelClass = f.AutoMapping.BaseModelClass
	switch {
	case c.PeftType != "LORA":
		return c, fmt.Errorf("peft_type %q: only LORA adapters are supported", c.PeftType)
	case c.R <= 0:
		return c, fmt.Errorf("r = %d: the LoRA rank must be positive", c.R)
	case c.UseDoRA:
		return c, fmt.Errorf("use_dora: DoRA adapters are not supported")
	case c.Bias != "" && c.Bias != "none":
		return c, fmt.Errorf("bias %q: only bias \"none\" is supported", c.Bias)
	case len(f.RankPattern) > 0 || len(f.AlphaPattern) > 0:
		return c, fmt.Errorf("rank_pattern / alpha_pattern: per-module ranks and alphas are not supported")
	case isSet(f.ModulesToSave):
		return c, fmt.Errorf("modules_to_save = %s: fully trained extra modules are not supported", f.ModulesToSave)
	case isSet(f.LayersToTransform) || isSet(f.LayerReplication):
		return c, fmt.Errorf("layers_to_transform / layer_replication: only adapters on every matching layer are supported")
	}
	c.Alpha = 8 // LoraConfig's default lora_alpha
	if f.Alpha != nil {
		c.Alpha = *f.Alpha
	}
	if len(f.TargetModules) == 0 || string(f.TargetModules) == "null" {
		return c, fmt.Errorf("target_modules is missing")
	}
	if err := json.Unmarshal(f.TargetModules, &c.TargetModules); err != nil {
		if err := json.Unmarshal(f.TargetModules, &c.TargetRegex); err != nil {
			return c, fmt.Errorf("target_modules = %s: want a list of names or one regular expression", f.TargetModules)
		}
	}
	if len(c.TargetModules) == 0 && c.TargetRegex == "" {
		return c, fmt.Errorf("target_modules = %s names no module", f.TargetModules)
	}
	return c, nil
}

// isSet reports whether an optional JSON field is present and not null.
func isSet(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// Targets describes the target modules as PEFT users write them.
func (c Config) Targets() string {
	if c.TargetRegex != "" {
		return "regex " + c.TargetRegex
	}
	return strings.Join(c.TargetModules, ", ")
}

// Settings are the LoRA settings of a new adapter as a user gives them
// (the CLI's --targets, --lora-r, --lora-alpha, --lora-dropout, --use-rslora).
type Settings struct {
	// Targets are module-name suffixes (x_proj, in_proj), or exactly one
	// preset name (lora-subset, lora-all; see Preset).
	Targets []string
	R       int     // rank r > 0
	Alpha   float64 // lora_alpha > 0
	Dropout float64 // lora_dropout in [0, 1)
	RSLoRA  bool    // scale by α/√r instead of α/r
}

// NewConfig returns the LoraConfig of a new adapter with settings s on a
// base model of architecture arch (config.json model_type), recording
// baseModel (the checkpoint folder or hub id) as base_model_name_or_path.
// A preset name in Targets is resolved for arch. Each bad setting is an
// error naming it.
func NewConfig(s Settings, arch, baseModel string) (Config, error) {
	if err := s.Check(); err != nil {
		return Config{}, err
	}
	targets := slices.Clone(s.Targets)
	if isPreset(targets[0]) {
		var err error
		if targets, err = Preset(arch, targets[0]); err != nil {
			return Config{}, err
		}
	}
	return Config{PeftType: "LORA", BaseModel: baseModel, R: s.R, Alpha: s.Alpha, Dropout: s.Dropout,
		TargetModules: targets, UseRSLoRA: s.RSLoRA, Bias: "none"}, nil
}

// Check validates the settings that do not depend on the model: r > 0,
// a finite α > 0, 0 <= dropout < 1, and targets that are module names or
// one preset name. Whether the targets match the model is MatchTargets'
// question.
func (s Settings) Check() error {
	switch {
	case s.R <= 0:
		return fmt.Errorf("LoRA rank r = %d: want r > 0", s.R)
	case !(s.Alpha > 0) || math.IsInf(s.Alpha, 0):
		return fmt.Errorf("lora_alpha = %g: want a finite alpha > 0", s.Alpha)
	case !(s.Dropout >= 0 && s.Dropout < 1):
		return fmt.Errorf("lora_dropout = %g: want 0 <= p < 1", s.Dropout)
	case len(s.Targets) == 0:
		return fmt.Errorf("no LoRA target modules: name modules (x_proj, in_proj) or a preset (lora-subset, lora-all)")
	}
	for _, t := range s.Targets {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("target modules %q: empty module name", s.Targets)
		}
		if isPreset(t) && len(s.Targets) > 1 {
			return fmt.Errorf("target modules %q: the preset %s cannot be combined with other targets", s.Targets, t)
		}
	}
	return nil
}

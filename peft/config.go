package peft

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
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
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return Config{}, err
	}
	c := f.Config
	switch {
	case c.PeftType != "LORA":
		return c, fmt.Errorf("peft_type %q: only LORA adapters are supported", c.PeftType)
	case c.R <= 0:
		return c, fmt.Errorf("r = %d: the LoRA rank must be positive", c.R)
	case c.UseDoRA:
		return c, fmt.Errorf("use_dora: DoRA adapters are not supported")
	case c.Bias != "" && c.Bias != "none":
		return c, fmt.Errorf("bias %q: only bias \"none\" is supported", c.Bias)
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
	return c, nil
}

// Targets describes the target modules as PEFT users write them.
func (c Config) Targets() string {
	if c.TargetRegex != "" {
		return "regex " + c.TargetRegex
	}
	return strings.Join(c.TargetModules, ", ")
}

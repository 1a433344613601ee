package checkpoint

import (
	"encoding/json"
	"fmt"

	"github.com/steady-ml/steady/internal/pyjson"
)

// Arch names a supported architecture by its Hugging Face model_type.
type Arch string

// The supported architectures.
const (
	Mamba  Arch = "mamba"
	Mamba2 Arch = "mamba2"
	NeoX   Arch = "gpt_neox"
)

// ConfigFormat says which program wrote a config.json.
type ConfigFormat string

// The config.json layouts steady reads.
const (
	// ConfigHF is a Hugging Face transformers config (it has model_type).
	ConfigHF ConfigFormat = "hf"
	// ConfigMambaSSM is mamba_ssm's MambaConfig as save_pretrained writes it (d_model, ssm_cfg).
	ConfigMambaSSM ConfigFormat = "mamba_ssm"
)

// DetectArch reads the architecture from a config.json's bytes.
// HF configs name it in model_type; mamba_ssm configs in ssm_cfg.layer
// (Mamba1 when absent, as mamba_ssm defaults).
func DetectArch(config []byte) (Arch, ConfigFormat, error) {
	var probe struct {
		ModelType *string `json:"model_type"`
		DModel    *int    `json:"d_model"`
		SSMCfg    struct {
			Layer string `json:"layer"`
		} `json:"ssm_cfg"`
	}
	if err := json.Unmarshal(pyjson.Sanitize(config), &probe); err != nil {
		return "", "", fmt.Errorf("config.json: %v", err)
	}
	if probe.ModelType != nil {
		switch a := Arch(*probe.ModelType); a {
		case Mamba, Mamba2, NeoX:
			return a, ConfigHF, nil
		default:
			return "", "", fmt.Errorf("config.json: model_type %q is not supported (want mamba, mamba2 or gpt_neox)", *probe.ModelType)
		}
	}
	if probe.DModel != nil {
		switch probe.SSMCfg.Layer {
		case "", "Mamba1":
			return Mamba, ConfigMambaSSM, nil
		case "Mamba2":
			return Mamba2, ConfigMambaSSM, nil
		default:
			return "", "", fmt.Errorf("config.json: ssm_cfg.layer %q is not supported (want Mamba1 or Mamba2)", probe.SSMCfg.Layer)
		}
	}
	return "", "", fmt.Errorf("config.json: neither model_type (Hugging Face) nor d_model (mamba_ssm) is set")
}

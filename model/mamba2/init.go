package mamba2

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
)

// Initialisation constants of mamba_ssm's Mamba2 mixer and MambaLMHeadModel.
const (
	initDtMin, initDtMax, initDtFloor = 0.001, 0.1, 1e-4
	initALow, initAHigh               = 1, 16 // A_init_range
	initEmbeddingStd                  = 0.02  // initializer_range
)

// Init returns a model with mamba_ssm's initialisation (modules/mamba2.py
// Mamba2.__init__ and models/mixer_seq_simple.py _init_weights), drawn from a
// PCG stream seeded by seed:
//   - Linear and conv1d weights: PyTorch's default kaiming_uniform(a=√5), i.e.
//     U(±1/√fan_in); biases U(±1/√fan_in) for conv, zero for Linear;
//   - out_proj.weight divided by √n_layer (rescale_prenorm_residual);
//   - embedding N(0, 0.02²); norms 1; D 1;
//   - dt_bias = softplus⁻¹(dt), dt log-uniform in [dt_min, dt_max], floored;
//   - A_log = log(U(1, 16)).
func Init(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := randinit.New(seed, 0x6d616d6261)
	w := model.MapWeights{}
	w.Put(nameEmbedding, randinit.Normal(r, cfg.PaddedVocab()*cfg.DModel, initEmbeddingStd), cfg.PaddedVocab(), cfg.DModel)
	w.Put(nameNormF, randinit.Fill(cfg.DModel, 1), cfg.DModel)
	if !cfg.TieEmbeddings {
		w.Put(nameLMHead, randinit.Normal(r, cfg.PaddedVocab()*cfg.DModel, initEmbeddingStd), cfg.PaddedVocab(), cfg.DModel)
	}
	for i := range cfg.NLayer {
		var b blockWeights
		for _, t := range layerTensors(cfg, &b) {
			if !t.want {
				continue
			}
			w.Put(fmt.Sprintf("backbone.layers.%d.%s", i, t.leaf), initTensor(r, cfg, t.leaf, t.shape), t.shape...)
		}
	}
	return New(cfg, w)
}

// initTensor draws one per-layer tensor by its leaf name.
func initTensor(r *rand.Rand, cfg Config, leaf string, shape []int) []float32 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	switch leaf {
	case "norm.weight", "mixer.norm.weight", "mixer.D":
		return randinit.Fill(n, 1)
	case "mixer.in_proj.bias", "mixer.out_proj.bias":
		return randinit.Fill(n, 0)
	case "mixer.in_proj.weight":
		return randinit.Uniform(r, n, 1/math.Sqrt(float64(cfg.DModel)))
	case "mixer.out_proj.weight":
		return randinit.Uniform(r, n, 1/math.Sqrt(float64(cfg.DInner()))/math.Sqrt(float64(cfg.NLayer)))
	case "mixer.conv1d.weight", "mixer.conv1d.bias":
		return randinit.Uniform(r, n, 1/math.Sqrt(float64(cfg.DConv)))
	case "mixer.dt_bias":
		out := make([]float32, n)
		for i := range out {
			dt := math.Exp(r.Float64()*(math.Log(initDtMax)-math.Log(initDtMin)) + math.Log(initDtMin))
			dt = math.Max(dt, initDtFloor)
			out[i] = float32(dt + math.Log(-math.Expm1(-dt))) // softplus⁻¹(dt)
		}
		return out
	case "mixer.A_log":
		out := make([]float32, n)
		for i := range out {
			out[i] = float32(math.Log(initALow + r.Float64()*(initAHigh-initALow)))
		}
		return out
	}
	panic("mamba2: no initialisation for " + leaf)
}

package mamba

import (
	"fmt"
	"math"

	"github.com/steady-ml/steady/internal/randinit"
	"github.com/steady-ml/steady/model"
)

// Initialisation constants of mamba_ssm's Mamba mixer and MambaLMHeadModel.
const (
	initDtMin, initDtMax, initDtFloor = 0.001, 0.1, 1e-4
	initEmbeddingStd                  = 0.02 // initializer_range
)

// Init returns a model with mamba_ssm's initialisation (modules/mamba_simple.py
// Mamba.__init__ and models/mixer_seq_simple.py _init_weights), drawn from a
// PCG stream seeded by seed:
//   - in_proj, x_proj, conv1d: PyTorch's default U(±1/√fan_in) (conv bias too);
//     Linear biases 0;
//   - out_proj.weight: U(±1/√fan_in) divided by √n_layer (rescale_prenorm_residual);
//   - dt_proj.weight U(±dt_rank^−½); dt_proj.bias = softplus⁻¹(dt), dt
//     log-uniform in [dt_min, dt_max] and floored;
//   - A_log = log(1, 2, …, N) for every channel (S4D-Real); D 1; norms 1;
//   - embedding N(0, 0.02²).
func Init(cfg Config, seed uint64) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := randinit.New(seed, 0x6d616d6261)
	d, di, n, rk, v := cfg.DModel, cfg.DInner, cfg.DState, cfg.DtRank, cfg.PaddedVocab()
	w := model.MapWeights{}
	w.Put(nameEmbedding[0], randinit.Normal(r, v*d, initEmbeddingStd), v, d)
	for i := range cfg.NLayer {
		put := func(rel string, data []float32, shape ...int) { w.Put(layerName(i, rel)[0], data, shape...) }
		put(nameNorm, randinit.Fill(d, 1), d)
		put(nameInProj, randinit.Uniform(r, 2*di*d, 1/math.Sqrt(float64(d))), 2*di, d)
		if cfg.Bias {
			put(nameInProjB, randinit.Fill(2*di, 0), 2*di)
			put(nameOutProjB, randinit.Fill(d, 0), d)
		}
		convBound := 1 / math.Sqrt(float64(cfg.DConv))
		put(nameConv, randinit.Uniform(r, di*cfg.DConv, convBound), di, 1, cfg.DConv)
		if cfg.ConvBias {
			put(nameConvB, randinit.Uniform(r, di, convBound), di)
		}
		put(nameXProj, randinit.Uniform(r, (rk+2*n)*di, 1/math.Sqrt(float64(di))), rk+2*n, di)
		put(nameDtProj, randinit.Uniform(r, di*rk, 1/math.Sqrt(float64(rk))), di, rk)
		dtBias := make([]float32, di)
		for k := range dtBias {
			dt := math.Exp(r.Float64()*(math.Log(initDtMax)-math.Log(initDtMin)) + math.Log(initDtMin))
			dt = math.Max(dt, initDtFloor)
			dtBias[k] = float32(dt + math.Log(-math.Expm1(-dt))) // softplus⁻¹(dt)
		}
		put(nameDtProjB, dtBias, di)
		aLog := make([]float32, di*n)
		for k := range aLog {
			aLog[k] = float32(math.Log(float64(k%n + 1)))
		}
		put(nameALog, aLog, di, n)
		put(nameD, randinit.Fill(di, 1), di)
		put(nameOutProj, randinit.Uniform(r, d*di, 1/math.Sqrt(float64(di))/math.Sqrt(float64(cfg.NLayer))), d, di)
	}
	w.Put(nameNormF[0], randinit.Fill(d, 1), d)
	if !cfg.TieEmbeddings {
		w.Put(nameLMHead[0], randinit.Normal(r, v*d, initEmbeddingStd), v, d)
	}
	m, err := New(cfg, w)
	if err != nil {
		return nil, fmt.Errorf("mamba init: %w", err)
	}
	return m, nil
}

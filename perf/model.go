package perf

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/model/mamba"
	"github.com/steady-ml/steady/model/mamba2"
	"github.com/steady-ml/steady/model/neox"
)

// Preset is a model shape to measure.
type Preset struct {
	Name  string
	Arch  string // config.json model_type, which names the LoRA target presets
	build func() (model.LM, []model.Param, error)
}

// Presets are the shapes of the paper's smallest checkpoints, with the
// GPT-NeoX vocabulary as the released checkpoints pad it.
var Presets = []Preset{
	{"mamba-130m", "mamba", func() (model.LM, []model.Param, error) {
		cfg, err := mamba.ParseConfig([]byte(`{"d_model": 768, "n_layer": 24, "vocab_size": 50277}`))
		if err != nil {
			return nil, nil, err
		}
		m, err := mamba.Init(cfg, 0)
		if err != nil {
			return nil, nil, err
		}
		return m, m.Params(), nil
	}},
	{"mamba2-130m", "mamba2", func() (model.LM, []model.Param, error) {
		cfg, err := mamba2.ParseConfig([]byte(`{"d_model": 768, "n_layer": 24, "vocab_size": 50277,
			"ssm_cfg": {"layer": "Mamba2", "d_state": 128, "headdim": 64, "ngroups": 1, "chunk_size": 256}}`))
		if err != nil {
			return nil, nil, err
		}
		m, err := mamba2.Init(cfg, 0)
		if err != nil {
			return nil, nil, err
		}
		return m, uniqueParams(m.Params()), nil
	}},
	{"pythia-160m", "gpt_neox", func() (model.LM, []model.Param, error) {
		cfg, err := neox.ParseConfig([]byte(`{"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 768,
			"num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072, "rotary_pct": 0.25,
			"max_position_embeddings": 2048}`))
		if err != nil {
			return nil, nil, err
		}
		m, err := neox.Init(cfg, 0)
		if err != nil {
			return nil, nil, err
		}
		return m, m.Params(), nil
	}},
}

// uniqueParams drops parameters listed twice over the same memory (a tied
// head exported under its own name).
func uniqueParams(ps []model.Param) []model.Param {
	var out []model.Param
	for _, p := range ps {
		dup := slices.ContainsFunc(out, func(q model.Param) bool { return len(q.Data) > 0 && &q.Data[0] == &p.Data[0] })
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// Case is one measurement: a prefill of Batch×Seq tokens, or (Decode) Seq
// tokens decoded one at a time after a 16-token prompt.
type Case struct {
	Batch, Seq int
	Decode     bool
}

func (c Case) String() string {
	if c.Decode {
		return fmt.Sprintf("decode %d×%d", c.Batch, c.Seq)
	}
	return fmt.Sprintf("prefill %d×%d", c.Batch, c.Seq)
}

// DefaultCases are the cases the models issue and PEERS.md use.
var DefaultCases = []Case{{1, 512, false}, {4, 256, false}, {1, 64, true}}

// Result is the median of the timed repetitions of one case.
type Result struct {
	Preset string
	Case   Case
	Params int64
	// TokensPerSec is tokens processed (prefill) or produced (decode) per second.
	TokensPerSec float64
	// GFLOPs is the matmul rate: 2·(parameters in matmuls) FLOPs per token;
	// attention and the scan are not counted.
	GFLOPs float64
	// WeightGBs is the weight bytes read per second when decoding (all
	// parameters, float32, once per token).
	WeightGBs float64
}

// Measure builds preset p and times each case reps times (after a warm-up),
// reporting the median.
func Measure(p Preset, cases []Case, reps int) ([]Result, error) {
	lm, params, err := p.build()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.Name, err)
	}
	var n, matmul int64
	for _, q := range params {
		n += int64(len(q.Data))
		if len(q.Shape) == 2 {
			matmul += int64(len(q.Data))
		}
	}
	var results []Result
	for _, c := range cases {
		times := make([]float64, 0, reps)
		for rep := range reps + 1 {
			secs, err := timeCase(lm, c)
			if err != nil {
				return nil, fmt.Errorf("%s %v: %w", p.Name, c, err)
			}
			if rep > 0 {
				times = append(times, secs)
			}
		}
		sort.Float64s(times)
		tokens := float64(c.Batch * c.Seq)
		r := Result{Preset: p.Name, Case: c, Params: n, TokensPerSec: tokens / times[len(times)/2]}
		r.GFLOPs = 2 * float64(matmul) * r.TokensPerSec / 1e9
		if c.Decode {
			r.WeightGBs = 4 * float64(n) * r.TokensPerSec / float64(c.Batch) / 1e9
		}
		results = append(results, r)
	}
	return results, nil
}

// timeCase runs one case once and returns the seconds it took (for decode,
// the time of the decode steps only).
func timeCase(lm model.LM, c Case) (float64, error) {
	const prompt = 16 // decode cases start from a prompt of this many tokens
	tokens := make([]int32, c.Batch*max(c.Seq, prompt))
	for i := range tokens {
		tokens[i] = int32((i*7919 + 13) % 50000)
	}
	if !c.Decode {
		start := time.Now()
		_, err := lm.Forward(tokens[:c.Batch*c.Seq], c.Batch, c.Seq, nil)
		return time.Since(start).Seconds(), err
	}
	state := lm.NewState(c.Batch)
	if _, err := lm.Forward(tokens[:prompt*c.Batch], c.Batch, prompt, state); err != nil {
		return 0, err
	}
	step := make([]int32, c.Batch)
	start := time.Now()
	for t := range c.Seq {
		for b := range step {
			step[b] = tokens[(b*c.Seq+t)%len(tokens)]
		}
		if _, err := lm.Forward(step, c.Batch, 1, state); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

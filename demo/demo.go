// Package demo is the job `make run` runs until the study command exists:
// on the embedded defaults (small configs of each architecture and the
// GPT-NeoX tokenizer) it initialises Mamba, Mamba-2 and GPT-NeoX models as
// their reference code does, writes each as a Hugging Face checkpoint, loads
// it back, checks that the recurrent decode agrees with the parallel forward,
// generates a few tokens, and measures prefill and decode speed.
package demo

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/generate"
	"github.com/steady-ml/steady/model"
	"github.com/steady-ml/steady/model/mamba"
	"github.com/steady-ml/steady/model/mamba2"
	"github.com/steady-ml/steady/model/neox"
	"github.com/steady-ml/steady/tokenizer"
)

// Options configures the demo.
type Options struct {
	// OutDir receives one checkpoint folder per architecture.
	OutDir string
	Seed   uint64
	// PrefillTokens is the sequence length timed for prefill; DecodeTokens the
	// number of tokens timed for decoding.
	PrefillTokens, DecodeTokens int
}

// Defaults are the options `steady demo` runs with.
var Defaults = Options{OutDir: "out/demo", Seed: 0, PrefillTokens: 256, DecodeTokens: 32}

// arch is one architecture of the demo: its embedded config and initialiser.
type arch struct {
	name string
	init func(seed uint64) (model.Exporter, error)
}

// architectures are small models of each kind with the real GPT-NeoX
// vocabulary (50277 tokens, padded as the released checkpoints pad it).
var architectures = []arch{
	{"mamba", func(seed uint64) (model.Exporter, error) {
		cfg, err := mamba.ParseConfig([]byte(`{"d_model": 128, "n_layer": 4, "vocab_size": 50277}`))
		if err != nil {
			return nil, err
		}
		return mamba.Init(cfg, seed)
	}},
	{"mamba2", func(seed uint64) (model.Exporter, error) {
		cfg, err := mamba2.ParseConfig([]byte(`{"d_model": 128, "n_layer": 4, "vocab_size": 50277,
			"ssm_cfg": {"layer": "Mamba2", "d_state": 32, "headdim": 32, "chunk_size": 64}}`))
		if err != nil {
			return nil, err
		}
		return mamba2.Init(cfg, seed)
	}},
	{"gpt_neox", func(seed uint64) (model.Exporter, error) {
		cfg, err := neox.ParseConfig([]byte(`{"model_type": "gpt_neox", "vocab_size": 50304, "hidden_size": 128,
			"num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 512, "max_position_embeddings": 2048}`))
		if err != nil {
			return nil, err
		}
		return neox.Init(cfg, seed)
	}},
}

// Result is what the demo measured for one architecture.
type Result struct {
	Arch          string
	Dir           string
	Params        int64
	DecodeMaxDiff float64 // max |logits(recurrent) − logits(parallel)|
	Generated     string
	PrefillTokS   float64
	DecodeTokS    float64
}

// prompt is the text the demo tokenises, checks and continues.
const prompt = "Mamba state-space models are Lyapunov-stable learners: small perturbations of the input"

// Run runs the demo and writes a report to out.
func Run(opt Options, out io.Writer) ([]Result, error) {
	tok := tokenizer.Default()
	ids := tok.Encode(prompt)
	var results []Result
	for _, a := range architectures {
		fmt.Fprintf(out, "== %s\n", a.name)
		r, err := runArch(a, opt, tok, ids, out)
		if err != nil {
			return results, fmt.Errorf("%s: %w", a.name, err)
		}
		results = append(results, r)
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "arch\tparams\trecurrent vs parallel\tprefill tok/s\tdecode tok/s\t")
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%d\t%.2g\t%.0f\t%.0f\t\n", r.Arch, r.Params, r.DecodeMaxDiff, r.PrefillTokS, r.DecodeTokS)
	}
	return results, w.Flush()
}

func runArch(a arch, opt Options, tok *tokenizer.Tokenizer, ids []int32, out io.Writer) (Result, error) {
	r := Result{Arch: a.name, Dir: filepath.Join(opt.OutDir, a.name)}
	m, err := a.init(opt.Seed)
	if err != nil {
		return r, err
	}
	if err := checkpoint.Save(r.Dir, m, tokenizer.DefaultJSON()); err != nil {
		return r, err
	}
	ck, err := checkpoint.Open(r.Dir)
	if err != nil {
		return r, err
	}
	summary := ck.Summarize()
	r.Params = summary.Params
	fmt.Fprint(out, summary)
	lm, err := ck.Model()
	ck.Close()
	if err != nil {
		return r, err
	}
	if r.DecodeMaxDiff, err = recurrentVsParallel(lm, ids); err != nil {
		return r, err
	}
	fmt.Fprintf(out, "recurrent decode vs parallel forward: max |Δlogit| = %.2g over %d tokens\n", r.DecodeMaxDiff, len(ids))
	eos, _ := tok.TokenID("<|endoftext|>")
	gen, err := generate.Generate(lm, ids, generate.Options{MaxNewTokens: 12, EOS: eos, Vocab: tok.VocabSize()}, nil)
	if err != nil {
		return r, err
	}
	r.Generated = tok.Decode(gen)
	fmt.Fprintf(out, "greedy continuation (random weights): %q\n", r.Generated)
	if r.PrefillTokS, r.DecodeTokS, err = speed(lm, opt); err != nil {
		return r, err
	}
	return r, nil
}

// recurrentVsParallel feeds ids through the decode state one at a time and
// compares each step's logits with the parallel forward's.
func recurrentVsParallel(lm model.LM, ids []int32) (float64, error) {
	full, err := lm.Forward(ids, 1, len(ids), nil)
	if err != nil {
		return 0, err
	}
	v := lm.VocabSize()
	state := lm.NewState(1)
	var maxDiff float64
	for t, id := range ids {
		step, err := lm.Forward([]int32{id}, 1, 1, state)
		if err != nil {
			return 0, err
		}
		for i, x := range step {
			maxDiff = math.Max(maxDiff, math.Abs(float64(x-full[t*v+i])))
		}
	}
	return maxDiff, nil
}

// speed times one prefill of opt.PrefillTokens tokens and opt.DecodeTokens decode steps.
func speed(lm model.LM, opt Options) (prefill, decode float64, err error) {
	tokens := make([]int32, opt.PrefillTokens)
	for i := range tokens {
		tokens[i] = int32(i * 7919 % 50000)
	}
	start := time.Now()
	if _, err := lm.Forward(tokens, 1, len(tokens), nil); err != nil {
		return 0, 0, err
	}
	prefill = float64(len(tokens)) / time.Since(start).Seconds()
	state := lm.NewState(1)
	start = time.Now()
	for i := range opt.DecodeTokens {
		if _, err := lm.Forward(tokens[i:i+1], 1, 1, state); err != nil {
			return 0, 0, err
		}
	}
	decode = float64(opt.DecodeTokens) / time.Since(start).Seconds()
	return prefill, decode, nil
}

package peft

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/steady-ml/steady/nn"
)

// Adaptable is a model whose modules an adapter can attach to: each model
// package's Modules, keyed by Hugging Face module path.
type Adaptable interface {
	Modules() map[string]nn.Module
}

// Match is the outcome of matching a config's targets against a model.
type Match struct {
	Modules   []string // the matched module paths, sorted
	Unmatched []string // targets (list form) that matched no module
}

// MatchTargets applies PEFT's target matching (tuners_utils.py
// check_target_module_exists) to mods: a list target matches a module whose
// path equals it or ends with "." + target; a regex target must match the
// whole path (re.fullmatch). A matched module that is not a Linear or an
// Embedding, or that cannot take an adapter, is an error, as is a rank above
// min(in, out) or no match at all.
func MatchTargets(c Config, mods map[string]nn.Module) (Match, error) {
	var re *regexp.Regexp
	if c.TargetRegex != "" {
		var err error
		if re, err = regexp.Compile(`^(?:` + c.TargetRegex + `)$`); err != nil {
			return Match{}, fmt.Errorf("target_modules regex %q: %w", c.TargetRegex, err)
		}
	}
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	slices.Sort(names)
	used := map[string]bool{}
	var m Match
	for _, name := range names {
		target, ok := matchName(c, re, name)
		if !ok {
			continue
		}
		used[target] = true
		if err := checkAdaptable(c, name, target, mods[name]); err != nil {
			return Match{}, err
		}
		m.Modules = append(m.Modules, name)
	}
	for _, t := range c.TargetModules {
		if !used[t] {
			m.Unmatched = append(m.Unmatched, t)
		}
	}
	if len(m.Modules) == 0 {
		return m, fmt.Errorf("target_modules %s match no module of the model", c.Targets())
	}
	return m, nil
}

// matchName reports whether the module path name is a target, and which.
func matchName(c Config, re *regexp.Regexp, name string) (string, bool) {
	if re != nil {
		return c.TargetRegex, re.MatchString(name)
	}
	for _, t := range c.TargetModules {
		if name == t || strings.HasSuffix(name, "."+t) {
			return t, true
		}
	}
	return "", false
}

// checkAdaptable says why module name (matched by target) cannot take a
// rank-c.R LoRA, or returns nil.
func checkAdaptable(c Config, name, target string, mod nn.Module) error {
	switch {
	case mod.Kind != nn.KindLinear && mod.Kind != nn.KindEmbedding:
		return fmt.Errorf("target %q matches module %s, a %s: LoRA applies to Linear and Embedding modules only", target, name, mod.Kind)
	case mod.Unsupported != "":
		return fmt.Errorf("target %q matches module %s, which cannot take a LoRA: %s", target, name, mod.Unsupported)
	case c.R > min(mod.In, mod.Out):
		return fmt.Errorf("module %s (%s %d→%d): rank r = %d exceeds min(in, out) = %d", name, mod.Kind, mod.In, mod.Out, c.R, min(mod.In, mod.Out))
	}
	return nil
}

// String lists the matched modules and the targets that matched nothing.
func (m Match) String() string {
	s := fmt.Sprintf("%d modules: %s", len(m.Modules), strings.Join(m.Modules, ", "))
	if len(m.Unmatched) > 0 {
		s += "; targets matching nothing: " + strings.Join(m.Unmatched, ", ")
	}
	return s
}

package mamba2

import (
	"encoding/json"
	"fmt"
	"math"
)

// jsonFields reads typed fields of one JSON object, with errors that name the
// field and where it was read.
type jsonFields struct {
	raw   map[string]json.RawMessage
	where string // "mamba2 config" or "mamba2 config: ssm_cfg"
}

// has reports whether key is present and not null.
func (j jsonFields) has(key string) bool {
	v, ok := j.raw[key]
	return ok && string(v) != "null"
}

// decode unmarshals key into dst, leaving dst alone when the key is absent or null.
func (j jsonFields) decode(key string, dst any, want string) error {
	if !j.has(key) {
		return nil
	}
	if err := json.Unmarshal(j.raw[key], dst); err != nil {
		return fmt.Errorf("%s: %s = %s, want %s", j.where, key, j.raw[key], want)
	}
	return nil
}

// integer reads key into dst (kept as the default when absent).
func (j jsonFields) integer(dst *int, key string) error {
	f := float64(*dst)
	if err := j.decode(key, &f, "an integer"); err != nil {
		return err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		return fmt.Errorf("%s: %s = %s, want an integer", j.where, key, j.raw[key])
	}
	*dst = int(f)
	return nil
}

// required reads key into dst and fails when it is absent.
func (j jsonFields) required(dst *int, key string) error {
	if !j.has(key) {
		return fmt.Errorf("%s: missing field %s", j.where, key)
	}
	return j.integer(dst, key)
}

func (j jsonFields) float(dst *float64, key string) error { return j.decode(key, dst, "a number") }

func (j jsonFields) boolean(dst *bool, key string) error { return j.decode(key, dst, "true or false") }

func (j jsonFields) str(dst *string, key string) error { return j.decode(key, dst, "a string") }

// limit reads a [low, high] pair such as time_step_limit; a null entry (which
// is how pyjson.Sanitize leaves Python's Infinity) means no bound on that side.
func (j jsonFields) limit(dst *[2]float64, key string) error {
	var v []*float64
	if err := j.decode(key, &v, "a [low, high] pair"); err != nil {
		return err
	}
	if !j.has(key) {
		return nil
	}
	if len(v) != 2 {
		return fmt.Errorf("%s: %s = %s, want a [low, high] pair", j.where, key, j.raw[key])
	}
	*dst = [2]float64{0, math.Inf(1)}
	if v[0] != nil {
		dst[0] = *v[0]
	}
	if v[1] != nil {
		dst[1] = *v[1]
	}
	return nil
}

// length returns the number of elements of the list at key (0 when absent).
func (j jsonFields) length(key string) (int, error) {
	var v []json.RawMessage
	err := j.decode(key, &v, "a list")
	return len(v), err
}

// object returns the nested object at key (empty when absent).
func (j jsonFields) object(key string) (jsonFields, error) {
	var v map[string]json.RawMessage
	err := j.decode(key, &v, "an object")
	return jsonFields{raw: v, where: j.where + ": " + key}, err
}

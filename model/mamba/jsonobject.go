package mamba

import (
	"encoding/json"
	"fmt"
	"math"
)

// jsonObject reads typed fields of one JSON object, with errors that name the
// field and where it was read.
type jsonObject struct {
	raw   map[string]json.RawMessage
	where string // "mamba config" or "mamba config: ssm_cfg"
}

// has reports whether key is present and not null.
func (j jsonObject) has(key string) bool {
	v, ok := j.raw[key]
	return ok && string(v) != "null"
}

// decode unmarshals key into dst; present is false when the key is absent or null.
func (j jsonObject) decode(key string, dst any, want string) (present bool, err error) {
	if !j.has(key) {
		return false, nil
	}
	if err := json.Unmarshal(j.raw[key], dst); err != nil {
		return true, fmt.Errorf("%s: %s = %s, want %s", j.where, key, j.raw[key], want)
	}
	return true, nil
}

func (j jsonObject) integer(key string, def int) (int, bool, error) {
	var f float64
	ok, err := j.decode(key, &f, "an integer")
	if err != nil || !ok {
		return def, ok, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<40 {
		return def, ok, fmt.Errorf("%s: %s = %s, want an integer", j.where, key, j.raw[key])
	}
	return int(f), true, nil
}

func (j jsonObject) reqInt(key string) (int, error) {
	v, ok, err := j.integer(key, 0)
	if err == nil && !ok {
		err = fmt.Errorf("%s: missing field %s", j.where, key)
	}
	return v, err
}

func (j jsonObject) float(key string, def float64) (float64, bool, error) {
	v := def
	ok, err := j.decode(key, &v, "a number")
	return v, ok, err
}

func (j jsonObject) boolean(key string, def bool) (bool, bool, error) {
	v := def
	ok, err := j.decode(key, &v, "true or false")
	return v, ok, err
}

func (j jsonObject) str(key, def string) (string, bool, error) {
	v := def
	ok, err := j.decode(key, &v, "a string")
	return v, ok, err
}

// length returns the number of elements of the list at key (0 when absent).
func (j jsonObject) length(key string) (int, error) {
	var v []json.RawMessage
	_, err := j.decode(key, &v, "a list")
	return len(v), err
}

// object returns the nested object at key (empty when absent).
func (j jsonObject) object(key string) (jsonObject, error) {
	var v map[string]json.RawMessage
	_, err := j.decode(key, &v, "an object")
	return jsonObject{raw: v, where: j.where + ": " + key}, err
}

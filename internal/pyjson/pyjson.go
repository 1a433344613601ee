// Package pyjson reads JSON written by Python's json module, which emits the
// non-standard tokens Infinity, -Infinity and NaN for non-finite floats.
package pyjson

// Sanitize replaces the non-standard tokens Python's json module writes
// for non-finite floats (Infinity, -Infinity, NaN) with null, so that
// encoding/json accepts HF configs such as Mamba-2's time_step_limit [0.0, Infinity].
func Sanitize(b []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			if out != nil {
				out = append(out, c)
			}
			continue
		}
		if c == '"' {
			inString = true
		}
		for _, tok := range []string{"-Infinity", "Infinity", "NaN"} {
			if len(b)-i >= len(tok) && string(b[i:i+len(tok)]) == tok {
				if out == nil {
					out = append([]byte{}, b[:i]...)
				}
				out = append(out, "null"...)
				i += len(tok) - 1
				c = 0
				break
			}
		}
		if c != 0 && out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return b
	}
	return out
}

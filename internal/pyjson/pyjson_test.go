package pyjson

import "testing"

func TestSanitize(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", `{"a": 1}`, `{"a": 1}`},
		{"infinity", `{"l": [0.0, Infinity]}`, `{"l": [0.0, null]}`},
		{"negative infinity and nan", `[-Infinity,NaN]`, `[null,null]`},
		{"inside string untouched", `{"s": "NaN Infinity"}`, `{"s": "NaN Infinity"}`},
		{"escaped quote in string", `{"s": "a\"NaN", "x": NaN}`, `{"s": "a\"NaN", "x": null}`},
	}
	for _, c := range cases {
		if got := string(Sanitize([]byte(c.in))); got != c.want {
			t.Errorf("%s: Sanitize(%s) = %s, want %s", c.name, c.in, got, c.want)
		}
	}
}

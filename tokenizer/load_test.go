package tokenizer

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// tinyConfig is a small tokenizer.json: the 256 byte-level tokens with
// id = byte, "ab" = 256, "abc" = 257, one or two merges and no added tokens.
func tinyConfig() map[string]any {
	vocab := map[string]any{}
	for b, r := range byteToRune {
		vocab[string(r)] = b
	}
	vocab["ab"], vocab["abc"] = 256, 257
	return map[string]any{
		"version":        "1.0",
		"added_tokens":   []any{},
		"normalizer":     map[string]any{"type": "NFC"},
		"pre_tokenizer":  map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true},
		"post_processor": map[string]any{"type": "ByteLevel"},
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model": map[string]any{
			"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
			"end_of_word_suffix": nil, "fuse_unk": false, "vocab": vocab, "merges": []any{"a b", "ab c"},
		},
	}
}

func fromConfig(t *testing.T, cfg map[string]any) (*Tokenizer, error) {
	t.Helper()
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return FromJSON(data)
}

func model(cfg map[string]any) map[string]any { return cfg["model"].(map[string]any) }

func TestMergesEncodings(t *testing.T) {
	for _, c := range []struct {
		name   string
		merges []any
	}{
		{"strings", []any{"a b", "ab c"}},
		{"pairs", []any{[]string{"a", "b"}, []string{"ab", "c"}}},
		{"mixed", []any{"a b", []string{"ab", "c"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			model(cfg)["merges"] = c.merges
			tok, err := fromConfig(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tok.Encode("abcab a"), []int32{257, 256, 32, 97}; !slices.Equal(got, want) {
				t.Errorf("Encode = %v, want %v", got, want)
			}
		})
	}
}

// TestMalformed checks that each malformed tokenizer.json is rejected with
// an error naming the field.
func TestMalformed(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(cfg map[string]any)
		field string
	}{
		{"not json", nil, "tokenizer.json"},
		{"no model", func(c map[string]any) { delete(c, "model") }, "model"},
		{"wordpiece model", func(c map[string]any) { model(c)["type"] = "WordPiece" }, "model.type"},
		{"dropout", func(c map[string]any) { model(c)["dropout"] = 0.1 }, "model.dropout"},
		{"subword prefix", func(c map[string]any) { model(c)["continuing_subword_prefix"] = "##" }, "model.continuing_subword_prefix"},
		{"word suffix", func(c map[string]any) { model(c)["end_of_word_suffix"] = "</w>" }, "model.end_of_word_suffix"},
		{"byte fallback", func(c map[string]any) { model(c)["byte_fallback"] = true }, "model.byte_fallback"},
		{"empty vocab", func(c map[string]any) { model(c)["vocab"] = map[string]any{} }, "model.vocab"},
		{"negative id", func(c map[string]any) { model(c)["vocab"].(map[string]any)["zz"] = -1 }, `model.vocab["zz"]`},
		{"duplicate id", func(c map[string]any) { model(c)["vocab"].(map[string]any)["zz"] = 5 }, "model.vocab: id 5"},
		{"missing byte", func(c map[string]any) { delete(model(c)["vocab"].(map[string]any), "Ġ") }, "model.vocab: no token for byte 0x20"},
		{"vocab not an object", func(c map[string]any) { model(c)["vocab"] = []int{1} }, "tokenizer.json"},
		{"merge one token", func(c map[string]any) { model(c)["merges"] = []any{"a b", "ab"} }, "model.merges[1]"},
		{"merge three tokens", func(c map[string]any) { model(c)["merges"] = []any{[]string{"a", "b", "c"}} }, "model.merges[0]"},
		{"merge not a string", func(c map[string]any) { model(c)["merges"] = []any{7} }, "model.merges[0]"},
		{"merge unknown token", func(c map[string]any) { model(c)["merges"] = []any{"a x"} }, `model.merges[0]: "a" "x": token "ax"`},
		{"normalizer", func(c map[string]any) { c["normalizer"] = map[string]any{"type": "Lowercase"} }, "normalizer.type"},
		{"no pre-tokenizer", func(c map[string]any) { delete(c, "pre_tokenizer") }, "pre_tokenizer"},
		{"metaspace", func(c map[string]any) { c["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, "pre_tokenizer.type"},
		{"decoder", func(c map[string]any) { c["decoder"] = map[string]any{"type": "WordPiece"} }, "decoder.type"},
		{"no decoder", func(c map[string]any) { delete(c, "decoder") }, "decoder: missing"},
		{"added no id", func(c map[string]any) { c["added_tokens"] = []any{map[string]any{"content": "<s>"}} }, "added_tokens[0].id"},
		{"added empty", func(c map[string]any) { c["added_tokens"] = []any{map[string]any{"id": 300, "content": ""}} }, "added_tokens[0].content"},
		{"added id clash", func(c map[string]any) { c["added_tokens"] = []any{map[string]any{"id": 97, "content": "<s>"}} }, "added_tokens[0].id: 97"},
		{"added id differs", func(c map[string]any) { c["added_tokens"] = []any{map[string]any{"id": 300, "content": "ab"}} }, "added_tokens[0].id: 300"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.edit == nil {
				_, err = FromJSON([]byte("{not json"))
			} else {
				cfg := tinyConfig()
				c.edit(cfg)
				_, err = fromConfig(t, cfg)
			}
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Errorf("error = %v, want one naming %s", err, c.field)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata/no-such-tokenizer.json"); err == nil || !strings.Contains(err.Error(), "no-such-tokenizer.json") {
		t.Errorf("Load error = %v, want one naming the file", err)
	}
}

// FuzzFromJSON checks that no tokenizer.json, however malformed, makes
// FromJSON or a loaded tokenizer panic.
func FuzzFromJSON(f *testing.F) {
	for _, cfg := range []map[string]any{tinyConfig(), addedConfig()} {
		data, err := json.Marshal(cfg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := FromJSON(data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "abc ab", "q[A] my ony\u2126  xyz", "\xff<|endoftext|>"} {
			tok.Decode(tok.AppendEncode(nil, s, EncodeOptions{}))
		}
	})
}

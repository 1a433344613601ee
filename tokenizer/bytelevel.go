package tokenizer

// The GPT-2 byte-level alphabet (bytes_to_unicode in openai/gpt-2 encoder.py;
// tokenizers pre_tokenizers/byte_level.rs): every byte gets a printable
// character. Printable Latin-1 bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for
// themselves; the other 68 bytes, in increasing order, take U+0100, U+0101, …
// So ' ' (0x20) is 'Ġ' (U+0120) and '\n' (0x0A) is 'Ċ' (U+010A).

// byteToRune is the byte-level character of each byte.
var byteToRune = func() (m [256]rune) {
	next := rune(256)
	for b := range 256 {
		if printableLatin1(byte(b)) {
			m[b] = rune(b)
		} else {
			m[b] = next
			next++
		}
	}
	return m
}()

// runeToByte inverts byteToRune; runes outside the alphabet map to -1.
// The alphabet lies within U+0021..U+0143.
var runeToByte = func() (m [0x144]int16) {
	for i := range m {
		m[i] = -1
	}
	for b, r := range byteToRune {
		m[r] = int16(b)
	}
	return m
}()

func printableLatin1(b byte) bool {
	return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE
}

// byteLevelString maps raw bytes to their byte-level characters.
func byteLevelString(raw string) string {
	out := make([]rune, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		out = append(out, byteToRune[raw[i]])
	}
	return string(out)
}

// byteLevelDecode maps a token's byte-level characters back to bytes, as
// the ByteLevel decoder does. A token holding any character outside the
// alphabet (an added token such as a run of spaces) decodes to its own
// UTF-8 bytes instead.
func byteLevelDecode(token string) []byte {
	out := make([]byte, 0, len(token))
	for _, r := range token {
		if r < 0 || int(r) >= len(runeToByte) || runeToByte[r] < 0 {
			return []byte(token)
		}
		out = append(out, byte(runeToByte[r]))
	}
	return out
}

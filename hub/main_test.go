package hub

import (
	"os"
	"testing"
)

// TestMain points every Hugging Face variable at a scratch folder so that no
// test reads or writes the real home directory, its token or its cache.
func TestMain(m *testing.M) {
	scratch, err := os.MkdirTemp("", "hub-test-home")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"HF_HOME": scratch, "HF_HUB_CACHE": scratch + "/hub", "HUGGINGFACE_HUB_CACHE": "",
		"HF_TOKEN": "", "HF_TOKEN_PATH": "", "HF_HUB_OFFLINE": "", "HF_ENDPOINT": "", "XDG_CACHE_HOME": scratch,
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	os.RemoveAll(scratch)
	os.Exit(code)
}

package wasmserver

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestServesByHash(t *testing.T) {
	dir := t.TempDir()
	code := []byte("\x00asm\x01\x00\x00\x00")
	os.WriteFile(filepath.Join(dir, "ratelimit.wasm"), code, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(code)
	hash := hex.EncodeToString(sum[:])
	mods := s.IRModules("http://ctl:8082/")
	m, ok := mods["ratelimit"]
	if !ok || len(mods) != 1 || m.SHA256 != hash || m.URL != "http://ctl:8082/wasm/"+hash+".wasm" {
		t.Fatalf("modules %+v", mods)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/wasm/" + hash + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(code) || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Fatalf("GET: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	for _, p := range []string{"/wasm/" + hash, "/wasm/0000.wasm", "/other/" + hash + ".wasm"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestEmbeddedLoads(t *testing.T) {
	if _, err := Load(""); err != nil {
		t.Fatal(err)
	}
}

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
	os.WriteFile(filepath.Join(dir, "builtin.wasm"), code, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(code)
	hash := hex.EncodeToString(sum[:])
	mods := s.IRModules("http://ctl:8082/")
	m, ok := mods["builtin"]
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

// TestCustomModules: a user's module is served by sha256 once added, and
// not after RetainCustom drops it.
func TestCustomModules(t *testing.T) {
	s, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	code := []byte("\x00asm\x01\x00\x00\x00custom")
	sum, url := s.AddCustom("http://ctl:8082/", code)
	if url != "http://ctl:8082/wasm/"+sum+".wasm" {
		t.Fatalf("url %s", url)
	}
	get := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathPrefix+sum+".wasm", nil))
		return w
	}
	if w := get(); w.Code != http.StatusOK || w.Body.String() != string(code) {
		t.Fatalf("GET after add: %d %q", w.Code, w.Body.String())
	}
	s.RetainCustom(func(string) bool { return false })
	if w := get(); w.Code != http.StatusNotFound {
		t.Fatalf("GET after drop: %d", w.Code)
	}
}

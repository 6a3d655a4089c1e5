package wasmtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// builds memoises Build per absolute package directory for the life of the
// test process: go build is already cached by the Go build cache, but even a
// cache hit costs a second or so of linking a multi-megabyte module.
var builds sync.Map // absolute dir -> *buildResult

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Build compiles the filter package in pkgDir (relative to the test's working
// directory, e.g. "." or "../ratelimit") with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w"
//
// (the flags of `make wasm`, so tests run the bytes that ship)
// once per test process, and returns the path of the .wasm file. Plain
// `go test` therefore needs no prior `make wasm`. A build failure fails tb
// with the compiler's output.
func Build(tb testing.TB, pkgDir string) string {
	tb.Helper()
	path, err := BuildPackage(pkgDir)
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// BuildPackage is Build without a testing.TB, for benchmarks' setup code,
// tools and TestMain.
func BuildPackage(pkgDir string) (string, error) {
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		return "", err
	}
	v, _ := builds.LoadOrStore(abs, &buildResult{})
	r := v.(*buildResult)
	r.once.Do(func() { r.path, r.err = goBuildWasm(abs) })
	return r.path, r.err
}

// goBuildWasm writes the module to a stable per-package file in the temp
// directory (no leak across runs) through a rename, so that parallel test
// processes building the same package never see a half-written file.
func goBuildWasm(absDir string) (string, error) {
	sum := sha256.Sum256([]byte(absDir))
	dir := filepath.Join(os.TempDir(), "wasp-wasmtest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(absDir)+"-"+hex.EncodeToString(sum[:6])+".wasm")
	tmp, err := os.CreateTemp(dir, filepath.Base(out)+".*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())

	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), ".")
	cmd.Dir = absDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("wasmtest: building %s for wasip1: %v\n%s", absDir, err, output)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

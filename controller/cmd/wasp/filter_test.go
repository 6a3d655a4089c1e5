package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"wasp.dev/controller/internal/wasmsource"
)

// loopbackAllowed opens loopback, where the test servers listen, which the
// default fetch policy refuses.
var loopbackAllowed = wasmsource.AddressPolicy{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// Test registry credentials, written to a Docker config the default
// keychain reads.
const (
	testRegistryUser = "author"
	testRegistryPass = "s3cret"
)

// filterRegistry is go-containerregistry's in-process registry on loopback
// (which go-containerregistry talks to over plain HTTP), behind HTTP basic
// auth, counting the requests it receives.
type filterRegistry struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newFilterRegistry(t *testing.T) *filterRegistry {
	t.Helper()
	r := &filterRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if u, p, ok := req.BasicAuth(); !ok || u != testRegistryUser || p != testRegistryPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *filterRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// dockerConfig is a config.json holding the registry's credentials, as
// `docker login` writes it.
func (r *filterRegistry) dockerConfig() []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(testRegistryUser + ":" + testRegistryPass))
	return fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, r.host(), auth)
}

// useDockerConfig points the default keychain at a config.json with
// content (nil: no file, so no credentials).
func useDockerConfig(t *testing.T, content []byte) {
	t.Helper()
	dir := t.TempDir()
	if content != nil {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DOCKER_CONFIG", dir)
}

// proxyWasmModule hand-assembles a small module that passes the
// controller's check: it imports env.proxy_log and
// wasi_snapshot_preview1.fd_write (a WASI function Envoy provides) and
// exports the ABI version, proxy_on_memory_allocate,
// proxy_on_context_create and memory. seed goes into a custom section, so
// different seeds give different modules.
func proxyWasmModule(seed string) []byte {
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) } // names < 128 bytes
	section := func(id byte, body []byte) []byte { return append([]byte{id, byte(len(body))}, body...) }
	funcs := []string{"proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_context_create"}
	const imported = 2

	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	out = append(out, section(1, []byte{1, 0x60, 0, 0})...) // one type: () -> ()
	imports := []byte{imported}
	for _, im := range [][2]string{{"env", "proxy_log"}, {"wasi_snapshot_preview1", "fd_write"}} {
		imports = append(imports, name(im[0])...)
		imports = append(imports, name(im[1])...)
		imports = append(imports, 0x00, 0x00) // a function of type 0
	}
	out = append(out, section(2, imports)...)
	out = append(out, section(3, []byte{byte(len(funcs)), 0, 0, 0})...)
	out = append(out, section(5, []byte{1, 0x00, 1})...) // one memory, min 1 page
	exports := []byte{byte(len(funcs) + 1)}
	for i, f := range funcs {
		exports = append(exports, name(f)...)
		exports = append(exports, 0x00, byte(imported+i))
	}
	exports = append(exports, name("memory")...)
	exports = append(exports, 0x02, 0x00)
	out = append(out, section(7, exports)...)
	code := []byte{byte(len(funcs))}
	for range funcs {
		code = append(code, 2, 0, 0x0b) // body: no locals, end
	}
	out = append(out, section(10, code)...)
	return append(out, section(0, append(name("seed"), seed...))...)
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var outputLine = regexp.MustCompile(`(?m)^(image|digest|sha256|size): +(\S+)$`)

// outputFields parses the "key: value" lines push and inspect print.
func outputFields(out string) map[string]string {
	f := map[string]string{}
	for _, m := range outputLine.FindAllStringSubmatch(out, -1) {
		f[m[1]] = m[2]
	}
	return f
}

// TestFilterPushThenFetch pushes a module with `wasp filter push` and reads
// it back the way the controller does (wasmsource.Fetch), with the values
// push printed as the pins.
func TestFilterPushThenFetch(t *testing.T) {
	reg := newFilterRegistry(t)
	useDockerConfig(t, reg.dockerConfig())
	module := proxyWasmModule("push-then-fetch")
	file := writeFile(t, "demo.wasm", module)

	out, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/demo:v1")
	if code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	got := outputFields(out)
	wantSHA := sha256Hex(module)
	if got["sha256"] != wantSHA || got["size"] != fmt.Sprint(len(module)) {
		t.Fatalf("push printed %q, want sha256 %s size %d", out, wantSHA, len(module))
	}
	if !strings.HasPrefix(got["digest"], "sha256:") || got["image"] != reg.host()+"/filters/demo@"+got["digest"] {
		t.Fatalf("push printed image %q digest %q", got["image"], got["digest"])
	}
	if !strings.Contains(out, "reference: "+got["image"]) || !strings.Contains(out, "sha256: "+wantSHA) {
		t.Fatalf("push did not print the WasmFilter pins:\n%s", out)
	}

	cache, err := wasmsource.OpenCache(wasmsource.CacheOptions{Dir: t.TempDir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f, err := wasmsource.New(wasmsource.Options{Cache: cache, Attempts: 1, Addresses: loopbackAllowed})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.Fetch(context.Background(), wasmsource.Source{
		Image:  &wasmsource.ImageSource{Reference: got["image"], PullSecrets: [][]byte{reg.dockerConfig()}},
		SHA256: got["sha256"],
	})
	if err != nil {
		t.Fatalf("fetch what push printed: %v", err)
	}
	if m.SHA256 != wantSHA || !bytes.Equal(m.Code, module) {
		t.Fatalf("fetched sha256 %s (%d bytes), want %s (%d bytes)", m.SHA256, len(m.Code), wantSHA, len(module))
	}

	// inspect reports the same module, by tag and by digest.
	for _, ref := range []string{reg.host() + "/filters/demo:v1", "oci://" + got["image"]} {
		out, stderr, code := runCLI(t, "filter", "inspect", ref)
		if code != 0 {
			t.Fatalf("inspect %s: exit %d\n%s", ref, code, stderr)
		}
		ins := outputFields(out)
		if ins["sha256"] != wantSHA || ins["size"] != fmt.Sprint(len(module)) || ins["digest"] != got["digest"] {
			t.Fatalf("inspect %s printed %q, want sha256 %s size %d digest %s", ref, out, wantSHA, len(module), got["digest"])
		}
	}

	// Pushing the same file again gives the same image: no timestamps.
	out2, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/demo:v2")
	if code != 0 || outputFields(out2)["digest"] != got["digest"] {
		t.Fatalf("second push: exit %d, digest %q, want %q\n%s", code, outputFields(out2)["digest"], got["digest"], stderr)
	}
}

// TestFilterPushArtifactFormat checks the manifest against the Wasm OCI
// artifact format: what Istio's WasmPlugin requires of the "oci" variant
// (exactly two layers, one of the Wasm layer media type, read raw) and the
// config and annotations of the spec.
func TestFilterPushArtifactFormat(t *testing.T) {
	reg := newFilterRegistry(t)
	useDockerConfig(t, reg.dockerConfig())
	module := proxyWasmModule("format")
	file := writeFile(t, "my-filter.wasm", module)
	if _, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/format:v1"); code != 0 {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	ref, err := name.ParseReference(reg.host() + "/filters/format:v1")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref, registryFlags{}.remoteOptions(context.Background())...)
	if err != nil {
		t.Fatal(err)
	}
	type descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Annotations map[string]string `json:"annotations"`
	}
	var m struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		ArtifactType  string       `json:"artifactType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	const (
		configType = "application/vnd.module.wasm.config.v1+json"
		layerType  = "application/vnd.module.wasm.content.layer.v1+wasm"
	)
	if m.SchemaVersion != 2 || m.MediaType != "application/vnd.oci.image.manifest.v1+json" ||
		m.ArtifactType != configType || m.Config.MediaType != configType {
		t.Fatalf("manifest header: %s", desc.Manifest)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("want 2 layers (Istio's oci variant), got %s", desc.Manifest)
	}
	cfgLayer, wasmLayer := m.Layers[0], m.Layers[1]
	if cfgLayer.MediaType != configType || cfgLayer.Digest != m.Config.Digest ||
		cfgLayer.Annotations["org.opencontainers.image.title"] != "runtime-config.json" {
		t.Fatalf("config layer: %+v (config %+v)", cfgLayer, m.Config)
	}
	if wasmLayer.MediaType != layerType || wasmLayer.Digest != "sha256:"+sha256Hex(module) ||
		wasmLayer.Size != int64(len(module)) || wasmLayer.Annotations["org.opencontainers.image.title"] != "my-filter.wasm" {
		t.Fatalf("wasm layer: %+v", wasmLayer)
	}
	img, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if string(rawCfg) != `{"type":"envoy_proxy","abiVersions":["0.2.1"]}` {
		t.Fatalf("runtime config %s", rawCfg)
	}
}

// TestFilterPushRejectsInvalidModules: a file the controller would refuse
// (InvalidModule) fails with the controller's reason, before any request.
func TestFilterPushRejectsInvalidModules(t *testing.T) {
	reg := newFilterRegistry(t)
	useDockerConfig(t, reg.dockerConfig())
	cases := []struct {
		name, content, wantErr string
	}{
		{"text.wasm", "#!/bin/sh\necho not wasm\n", "not a Wasm binary"},
		{"empty.wasm", "\x00asm\x01\x00\x00\x00", "no proxy-wasm ABI version export"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := writeFile(t, c.name, []byte(c.content))
			out, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/bad:v1")
			if code != 1 || !strings.Contains(stderr, c.wantErr) || !strings.Contains(stderr, file) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 1 and an error naming %s with %q", code, out, stderr, file, c.wantErr)
			}
		})
	}
	_, stderr, code := runCLI(t, "filter", "push", filepath.Join(t.TempDir(), "missing.wasm"), reg.host()+"/filters/bad:v1")
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("missing file: exit %d, %q", code, stderr)
	}
	if n := reg.requests.Load(); n != 0 {
		t.Fatalf("the registry received %d requests, want none", n)
	}
}

// TestFilterBadReferences: references that cannot be pushed to are usage
// errors, found before any request.
func TestFilterBadReferences(t *testing.T) {
	reg := newFilterRegistry(t)
	useDockerConfig(t, reg.dockerConfig())
	file := writeFile(t, "demo.wasm", proxyWasmModule("refs"))
	for _, ref := range []string{
		reg.host() + "/Filters/Demo:v1",                                // upper case repository
		reg.host() + "/filters/demo:bad tag",                           // invalid tag
		reg.host() + "/filters/demo@sha256:0123456789",                 // malformed digest
		reg.host() + "/filters/demo@sha256:" + strings.Repeat("a", 64), // a digest: push needs a tag
		"",
	} {
		_, stderr, code := runCLI(t, "filter", "push", file, ref)
		if code != 2 || !strings.Contains(stderr, "wasp filter push:") {
			t.Errorf("push to %q: exit %d, stderr %q; want 2 and an error", ref, code, stderr)
		}
	}
	if _, stderr, code := runCLI(t, "filter", "inspect", "not a reference"); code != 2 || !strings.Contains(stderr, "reference") {
		t.Errorf("inspect of a bad reference: exit %d, %q", code, stderr)
	}
	if n := reg.requests.Load(); n != 0 {
		t.Fatalf("the registry received %d requests, want none", n)
	}
}

// TestFilterRegistryErrors: without credentials the push fails with the
// registry's answer; inspect of a missing tag fails too.
func TestFilterRegistryErrors(t *testing.T) {
	reg := newFilterRegistry(t)
	file := writeFile(t, "demo.wasm", proxyWasmModule("errors"))

	useDockerConfig(t, nil)
	if _, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/demo:v1"); code != 1 || !strings.Contains(stderr, "401 Unauthorized") {
		t.Fatalf("push without credentials: exit %d, %q", code, stderr)
	}
	useDockerConfig(t, reg.dockerConfig())
	if _, stderr, code := runCLI(t, "filter", "push", file, reg.host()+"/filters/demo:v1"); code != 0 {
		t.Fatalf("push with credentials: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, "filter", "inspect", reg.host()+"/filters/demo:missing"); code != 1 || !strings.Contains(stderr, "MANIFEST_UNKNOWN") {
		t.Fatalf("inspect of a missing tag: exit %d, %q", code, stderr)
	}

	// A container image is not a Wasm artifact.
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(reg.host() + "/apps/web:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, registryFlags{}.remoteOptions(context.Background())...); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "filter", "inspect", ref.String()); code != 1 || !strings.Contains(stderr, "is not a Wasm OCI artifact") {
		t.Fatalf("inspect of a container image: exit %d, %q", code, stderr)
	}
}

func TestFilterUsage(t *testing.T) {
	for _, args := range [][]string{
		{"filter"},
		{"filter", "publish"},
		{"filter", "push", "only-one-arg"},
		{"filter", "inspect"},
		{"filter", "push", "--nope", "a.wasm", "r/x:v1"},
	} {
		if _, stderr, code := runCLI(t, args...); code != 2 || !strings.Contains(stderr, "wasp filter push") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and the usage", args, code, stderr)
		}
	}
	if out, _, code := runCLI(t, "filter", "-h"); code != 0 || !strings.Contains(out, "--plain-http") {
		t.Errorf("filter -h: exit %d, %q", code, out)
	}
	if out, _, _ := runCLI(t, "help"); !strings.Contains(out, "wasp filter push|inspect") {
		t.Errorf("wasp help does not list filter: %q", out)
	}
}

// TestFilterTLSFlags: --insecure accepts a registry's self-signed
// certificate, which is refused without it; --plain-http makes any
// registry plain HTTP.
func TestFilterTLSFlags(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(reg)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	useDockerConfig(t, nil)
	file := writeFile(t, "demo.wasm", proxyWasmModule("tls"))
	ref := strings.TrimPrefix(srv.URL, "https://") + "/filters/demo:v1"

	if _, stderr, code := runCLI(t, "filter", "push", file, ref); code != 1 || !strings.Contains(stderr, "certificate") {
		t.Fatalf("push to a self-signed registry without --insecure: exit %d, %q", code, stderr)
	}
	out, stderr, code := runCLI(t, "filter", "push", "--insecure", file, ref)
	if code != 0 {
		t.Fatalf("push --insecure: exit %d, %q", code, stderr)
	}
	pushed := outputFields(out)["digest"]
	if out, stderr, code := runCLI(t, "filter", "inspect", "--insecure", ref); code != 0 || outputFields(out)["digest"] != pushed {
		t.Fatalf("inspect --insecure: exit %d, %q, want digest %s\n%s", code, out, pushed, stderr)
	}

	for plain, scheme := range map[bool]string{false: "https", true: "http"} {
		r, err := parseFilterRef("registry.example.com/filters/demo:v1", registryFlags{plainHTTP: plain})
		if err != nil || r.Context().Scheme() != scheme {
			t.Errorf("plainHTTP %v: scheme %q, %v; want %s", plain, r.Context().Scheme(), err, scheme)
		}
	}
}

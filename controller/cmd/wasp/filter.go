package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"wasp.dev/controller/internal/wasmsource"
)

const filterUsage = `Usage:
  wasp filter push [--insecure] [--plain-http] FILE.wasm REF
  wasp filter inspect [--insecure] [--plain-http] REF

push checks that FILE.wasm is a proxy-wasm module Envoy can load (the
controller's own check), then pushes it to REF (registry/repository[:tag],
default tag latest) as a Wasm OCI artifact: the format that wasp's WasmFilter
and Istio's WasmPlugin read (config and first layer
application/vnd.module.wasm.config.v1+json, then one layer
application/vnd.module.wasm.content.layer.v1+wasm holding the module). It
prints the image by digest and the module's sha256: the two values a
WasmFilter pins (spec.source.image.reference and .sha256).

inspect prints the module sha256 and size of a pushed Wasm OCI artifact.

Credentials come from the Docker config ($DOCKER_CONFIG/config.json, else
~/.docker/config.json, with its credential helpers), as written by
docker login, oras login or crane auth login.
Exit status 1 when the module or the registry fails, 2 on a usage error.

Flags:
`

// runtimeConfigTitle names the runtime configuration layer, as the Wasm
// artifact spec's example (solo-io/wasm spec/spec.md) does.
const runtimeConfigTitle = "runtime-config.json"

// envoyRuntime is the spec's runtime type for Envoy proxy-wasm modules.
const envoyRuntime = "envoy_proxy"

// abiExportPrefix starts the export by which a module declares its
// proxy-wasm ABI version (proxy_abi_version_0_2_1 is ABI 0.2.1).
const abiExportPrefix = "proxy_abi_version_"

// registryFlags are the connection flags push and inspect share.
type registryFlags struct {
	insecure  bool // TLS without verifying the registry's certificate
	plainHTTP bool // no TLS at all
}

func (f *registryFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the registry's TLS certificate")
	fs.BoolVar(&f.plainHTTP, "plain-http", false, "talk to the registry over HTTP, not HTTPS (loopback and private addresses use HTTP already)")
}

func (f registryFlags) nameOptions() []name.Option {
	if f.plainHTTP {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (f registryFlags) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
	}
	if f.insecure {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // #nosec G402 -- asked for by --insecure
		opts = append(opts, remote.WithTransport(t))
	}
	return opts
}

func runFilter(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, filterUsage)
		return 2
	}
	sub := args[0]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprint(stdout, filterUsage)
		return 0
	}
	if sub != "push" && sub != "inspect" {
		fmt.Fprintf(stderr, "wasp filter: unknown command %q\n\n%s", sub, filterUsage)
		return 2
	}
	fs := flag.NewFlagSet("filter "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var rf registryFlags
	rf.register(fs)
	fs.Usage = func() { fmt.Fprint(stderr, filterUsage); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	wantArgs := map[string]int{"push": 2, "inspect": 1}[sub]
	if fs.NArg() != wantArgs {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if sub == "inspect" {
		return runFilterInspect(ctx, fs.Arg(0), rf, stdout, stderr)
	}
	return runFilterPush(ctx, fs.Arg(0), fs.Arg(1), rf, stdout, stderr)
}

func runFilterPush(ctx context.Context, file, refArg string, rf registryFlags, stdout, stderr io.Writer) int {
	ref, err := parseFilterRef(refArg, rf)
	if err == nil {
		if _, byDigest := ref.(name.Digest); byDigest {
			err = errors.New("push to a tag (REGISTRY/REPOSITORY:TAG), not a digest: the digest comes from the content")
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "wasp filter push: %v\n", err)
		return 2
	}
	module, err := readModule(file)
	if err != nil {
		fmt.Fprintf(stderr, "wasp filter push: %v\n", err)
		return 1
	}
	info, err := pushFilter(ctx, ref, filepath.Base(file), module, rf)
	if err != nil {
		fmt.Fprintf(stderr, "wasp filter push: %v\n", err)
		return 1
	}
	pinned := fmt.Sprintf("%s@%s", ref.Context(), info.digest)
	fmt.Fprintf(stdout, "pushed %s to %s\nimage:  %s\ndigest: %s\nsha256: %s\nsize:   %d\n",
		file, ref, pinned, info.digest, info.sha256, info.size)
	fmt.Fprintf(stdout, "\nPin both in a WasmFilter:\n  source:\n    image:\n      reference: %s\n      sha256: %s\n", pinned, info.sha256)
	return 0
}

func runFilterInspect(ctx context.Context, refArg string, rf registryFlags, stdout, stderr io.Writer) int {
	ref, err := parseFilterRef(refArg, rf)
	if err != nil {
		fmt.Fprintf(stderr, "wasp filter inspect: %v\n", err)
		return 2
	}
	info, err := inspectFilter(ctx, ref, rf)
	if err != nil {
		fmt.Fprintf(stderr, "wasp filter inspect: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "image:  %s@%s\ndigest: %s\nsha256: %s\nsize:   %d\n",
		ref.Context(), info.digest, info.digest, info.sha256, info.size)
	return 0
}

// parseFilterRef parses an image reference, accepting Istio's oci:// prefix
// as the WasmFilter does.
func parseFilterRef(s string, rf registryFlags) (name.Reference, error) {
	ref, err := name.ParseReference(strings.TrimPrefix(s, "oci://"), rf.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("reference %q: %w", s, err)
	}
	return ref, nil
}

// readModule reads the file and runs the controller's checks on it, so a
// module the controller would refuse (InvalidModule, TooLarge) is never
// pushed.
func readModule(file string) ([]byte, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if st.Size() > wasmsource.DefaultMaxModuleBytes {
		return nil, fmt.Errorf("%s is %d bytes, over the controller's limit of %d", file, st.Size(), wasmsource.DefaultMaxModuleBytes)
	}
	module, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := wasmsource.ValidateModule(module); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return module, nil
}

// filterInfo is what push and inspect report.
type filterInfo struct {
	digest v1.Hash // the manifest's: what an image reference pins
	sha256 string  // the module's: what a WasmFilter's sha256 pins
	size   int64
}

func pushFilter(ctx context.Context, ref name.Reference, title string, module []byte, rf registryFlags) (filterInfo, error) {
	img, err := newWasmArtifact(title, module)
	if err != nil {
		return filterInfo{}, err
	}
	if err := remote.Write(ref, img, rf.remoteOptions(ctx)...); err != nil {
		return filterInfo{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return filterInfo{}, err
	}
	return filterInfo{digest: d, sha256: sha256Hex(module), size: int64(len(module))}, nil
}

// inspectFilter downloads the artifact's module (verified against its
// digest as it is read) and checks it as the controller would.
func inspectFilter(ctx context.Context, ref name.Reference, rf registryFlags) (filterInfo, error) {
	desc, err := remote.Get(ref, rf.remoteOptions(ctx)...)
	if err != nil {
		return filterInfo{}, err
	}
	if desc.MediaType.IsIndex() {
		return filterInfo{}, fmt.Errorf("%s is an image index, not a Wasm artifact", ref)
	}
	img, err := desc.Image()
	if err != nil {
		return filterInfo{}, err
	}
	m, err := img.Manifest()
	if err != nil {
		return filterInfo{}, err
	}
	var wasm []v1.Descriptor
	for _, l := range m.Layers {
		if l.MediaType == wasmsource.MediaTypeWasmLayer {
			wasm = append(wasm, l)
		}
	}
	if len(wasm) != 1 {
		return filterInfo{}, fmt.Errorf("%s is not a Wasm OCI artifact: it has %d layers of media type %s, want one (compat images, plugin.wasm in a tar layer, are read by the controller but not by inspect)",
			ref, len(wasm), wasmsource.MediaTypeWasmLayer)
	}
	if wasm[0].Size > wasmsource.DefaultMaxModuleBytes {
		return filterInfo{}, fmt.Errorf("module is %d bytes, over the controller's limit of %d", wasm[0].Size, wasmsource.DefaultMaxModuleBytes)
	}
	layer, err := img.LayerByDigest(wasm[0].Digest)
	if err != nil {
		return filterInfo{}, err
	}
	rc, err := layer.Compressed() // the blob as stored: the module itself
	if err != nil {
		return filterInfo{}, err
	}
	defer rc.Close()
	module, err := io.ReadAll(io.LimitReader(rc, wasm[0].Size+1))
	if err != nil {
		return filterInfo{}, err
	}
	if int64(len(module)) != wasm[0].Size {
		return filterInfo{}, fmt.Errorf("the module blob is not the %d bytes its manifest says", wasm[0].Size)
	}
	if err := wasmsource.ValidateModule(module); err != nil {
		return filterInfo{}, err
	}
	return filterInfo{digest: desc.Digest, sha256: sha256Hex(module), size: int64(len(module))}, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// runtimeConfig is the Wasm artifact spec's configuration for Envoy.
type runtimeConfig struct {
	Type        string   `json:"type"`
	ABIVersions []string `json:"abiVersions"`
}

// artifactManifest is an OCI image manifest with artifactType (OCI 1.1),
// which go-containerregistry's v1.Manifest lacks.
type artifactManifest struct {
	SchemaVersion int64           `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType"`
	ArtifactType  types.MediaType `json:"artifactType"`
	Config        v1.Descriptor   `json:"config"`
	Layers        []v1.Descriptor `json:"layers"`
}

// wasmArtifact is the Wasm OCI artifact of one module, in the "oci"
// variant of the Wasm image spec (solo-io/wasm spec/spec.md):
//
//   - config: the runtime configuration, media type
//     application/vnd.module.wasm.config.v1+json (with OCI 1.1's
//     artifactType set to the same type, so registries list it as Wasm);
//   - layer 1: the same runtime configuration, titled runtime-config.json;
//   - layer 2: the module, application/vnd.module.wasm.content.layer.v1+wasm,
//     titled with the file's name.
//
// Two layers because Istio's WasmPlugin reads this variant only from an
// image of exactly two layers; wasp's controller reads the one Wasm layer.
// The bytes depend only on the module and its name (no timestamps), so
// pushing the same file twice gives the same digest.
type wasmArtifact struct {
	config   []byte
	manifest []byte
	layers   map[v1.Hash]v1.Layer
}

func newWasmArtifact(title string, module []byte) (v1.Image, error) {
	parsed, err := wasmsource.ParseWasm(module)
	if err != nil {
		return nil, err
	}
	rc := runtimeConfig{Type: envoyRuntime, ABIVersions: []string{}}
	for _, e := range parsed.Exports {
		if v, ok := strings.CutPrefix(e.Name, abiExportPrefix); ok && e.Kind == wasmsource.ExternFunc {
			rc.ABIVersions = append(rc.ABIVersions, strings.ReplaceAll(v, "_", "."))
		}
	}
	sort.Strings(rc.ABIVersions)
	config, err := json.Marshal(rc)
	if err != nil {
		return nil, err
	}
	configLayer := static.NewLayer(config, wasmsource.MediaTypeWasmConfig)
	moduleLayer := static.NewLayer(module, wasmsource.MediaTypeWasmLayer)
	a := &wasmArtifact{config: config, layers: map[v1.Hash]v1.Layer{}}
	descriptor := func(l v1.Layer, title string) (v1.Descriptor, error) {
		d, err := l.Digest()
		if err != nil {
			return v1.Descriptor{}, err
		}
		size, err := l.Size()
		if err != nil {
			return v1.Descriptor{}, err
		}
		mt, err := l.MediaType()
		if err != nil {
			return v1.Descriptor{}, err
		}
		a.layers[d] = l
		desc := v1.Descriptor{MediaType: mt, Size: size, Digest: d}
		if title != "" {
			desc.Annotations = map[string]string{"org.opencontainers.image.title": title}
		}
		return desc, nil
	}
	m := artifactManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  wasmsource.MediaTypeWasmConfig,
	}
	if m.Config, err = descriptor(configLayer, ""); err != nil {
		return nil, err
	}
	for _, l := range []struct {
		layer v1.Layer
		title string
	}{{configLayer, runtimeConfigTitle}, {moduleLayer, title}} {
		d, err := descriptor(l.layer, l.title)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, d)
	}
	if a.manifest, err = json.Marshal(m); err != nil {
		return nil, err
	}
	return partial.CompressedToImage(a)
}

func (a *wasmArtifact) RawConfigFile() ([]byte, error)      { return a.config, nil }
func (a *wasmArtifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *wasmArtifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *wasmArtifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := a.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("wasm artifact has no blob %s", h)
}

// compile-time check: the artifact is what partial.CompressedToImage wraps.
var _ partial.CompressedImageCore = (*wasmArtifact)(nil)

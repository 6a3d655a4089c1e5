package wasmsource

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of the Wasm OCI artifact format (what `wasp filter push`
// writes, in the two-layer layout Istio's WasmPlugin requires; this fetcher
// also reads a single module layer).
const (
	MediaTypeWasmLayer  types.MediaType = "application/vnd.module.wasm.content.layer.v1+wasm"
	MediaTypeWasmConfig types.MediaType = "application/vnd.module.wasm.config.v1+json"
)

// compatModuleFile is the file Istio's "compat" Wasm image carries in its
// (last) tar layer.
const compatModuleFile = "plugin.wasm"

// compatTarSlack allows for tar headers and small extra files around
// plugin.wasm when bounding how much of a compat layer is decompressed.
const compatTarSlack = 1 << 20

// fetchImage pulls the module out of an OCI image: the layer of the Wasm
// artifact media type, or else plugin.wasm from the last layer (Istio's
// compat image).
func (f *Fetcher) fetchImage(ctx context.Context, src *ImageSource) ([]byte, error) {
	// Istio's WasmPlugin writes images as oci://<reference>; accept both.
	ref, err := name.ParseReference(strings.TrimPrefix(src.Reference, "oci://"))
	if err != nil {
		return nil, permanent(err)
	}
	keychain, err := newPullSecretKeychain(src.PullSecrets)
	if err != nil {
		return nil, permanent(err)
	}
	desc, err := remote.Get(ref,
		remote.WithContext(ctx),
		remote.WithTransport(f.transport),
		remote.WithAuthFromKeychain(keychain),
		// One try per call: Fetcher.retry owns retrying, for every source.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
		remote.WithRetryPredicate(func(error) bool { return false }),
	)
	if err != nil {
		return nil, classifyRegistryError(handshakeError(err))
	}
	if desc.MediaType.IsIndex() {
		return nil, permanent(fmt.Errorf("%s is an image index: reference a single Wasm image or artifact", ref))
	}
	img, err := desc.Image()
	if err != nil {
		return nil, permanent(err)
	}
	manifest, err := img.Manifest()
	if err != nil {
		return nil, permanent(err)
	}
	var wasmLayers []v1.Descriptor
	for _, l := range manifest.Layers {
		if l.MediaType == MediaTypeWasmLayer {
			wasmLayers = append(wasmLayers, l)
		}
	}
	switch {
	case len(wasmLayers) == 1:
		return f.readArtifactLayer(img, wasmLayers[0])
	case len(wasmLayers) > 1:
		return nil, permanent(fmt.Errorf("%s has %d layers of media type %s, want one", ref, len(wasmLayers), MediaTypeWasmLayer))
	case len(manifest.Layers) > 0:
		// Istio reads a compat image's last layer: images built FROM a base
		// and adding plugin.wasm last work too.
		return f.readCompatLayer(img, manifest.Layers[len(manifest.Layers)-1])
	}
	return nil, permanent(fmt.Errorf("%s is not a Wasm image: it has no layers", ref))
}

// readArtifactLayer reads the raw .wasm blob; go-containerregistry checks
// it against the layer's digest as it reads.
func (f *Fetcher) readArtifactLayer(img v1.Image, d v1.Descriptor) ([]byte, error) {
	if d.Size > f.opts.MaxModuleBytes {
		return nil, permanent(tooLargeError{d.Size, f.opts.MaxModuleBytes})
	}
	layer, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return nil, permanent(err)
	}
	rc, err := layer.Compressed() // the blob as stored: for this media type, the module itself
	if err != nil {
		return nil, classifyRegistryError(err)
	}
	defer rc.Close()
	b, err := readLimited(rc, f.opts.MaxModuleBytes)
	return b, classifyRegistryError(err)
}

// readCompatLayer finds plugin.wasm in a (possibly compressed) tar layer.
func (f *Fetcher) readCompatLayer(img v1.Image, d v1.Descriptor) ([]byte, error) {
	if d.Size > f.opts.MaxModuleBytes+compatTarSlack {
		return nil, permanent(tooLargeError{d.Size, f.opts.MaxModuleBytes})
	}
	layer, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return nil, permanent(err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, classifyRegistryError(err)
	}
	defer rc.Close()
	// Bound the decompressed stream too: a small layer may inflate a lot.
	tr := tar.NewReader(io.LimitReader(rc, f.opts.MaxModuleBytes+compatTarSlack))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, permanent(fmt.Errorf("not a Wasm image: no layer of media type %s, and the last layer has no %s", MediaTypeWasmLayer, compatModuleFile))
		}
		if err != nil {
			return nil, classifyRegistryError(err)
		}
		if path.Clean(strings.TrimPrefix(hdr.Name, "/")) != compatModuleFile || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if hdr.Size > f.opts.MaxModuleBytes {
			return nil, permanent(tooLargeError{hdr.Size, f.opts.MaxModuleBytes})
		}
		b, err := readLimited(tr, f.opts.MaxModuleBytes)
		return b, classifyRegistryError(err)
	}
}

// classifyRegistryError marks registry answers that retrying cannot fix
// (not found, unauthorized, forbidden, bad request) as permanent; server
// errors, throttling and network errors stay transient. A registry's
// answer is reduced to its status and the distribution spec's error codes:
// its messages and body (which go-containerregistry quotes) stay out of
// the WasmFilter status.
func classifyRegistryError(err error) error {
	if err == nil {
		return nil
	}
	var te *transport.Error
	if !errors.As(err, &te) {
		return err
	}
	err = registryAnswer(te)
	if !transientStatus(te.StatusCode) {
		return permanent(err)
	}
	return err
}

// handshakeError keeps the errors of the registry exchange (ping, token,
// manifest) whose text is wasp's or Go's own — a registry status, a
// refused address, a network failure, a timeout — and replaces any other:
// go-containerregistry quotes the server in some (a token endpoint's body
// when it holds no token, the WWW-Authenticate parameters when they lack a
// realm), and the WasmFilter status must not become a way to read a
// server's answers.
func handshakeError(err error) error {
	var (
		te      *transport.Error
		refused *RefusedError
		ne      net.Error
	)
	switch {
	case errors.As(err, &te), errors.As(err, &refused), errors.As(err, &ne),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return permanent(errors.New("the registry's answer to the pull (its authentication challenge or token response) is not usable; its content is not shown"))
}

// registryErrorCodes are the error codes of the OCI distribution spec.
var registryErrorCodes = map[transport.ErrorCode]bool{
	transport.BlobUnknownErrorCode: true, transport.BlobUploadInvalidErrorCode: true, transport.BlobUploadUnknownErrorCode: true,
	transport.DigestInvalidErrorCode: true, transport.ManifestBlobUnknownErrorCode: true, transport.ManifestInvalidErrorCode: true,
	transport.ManifestUnknownErrorCode: true, transport.NameInvalidErrorCode: true, transport.NameUnknownErrorCode: true,
	transport.SizeInvalidErrorCode: true, transport.UnauthorizedErrorCode: true, transport.DeniedErrorCode: true,
	transport.UnsupportedErrorCode: true, transport.TooManyRequestsErrorCode: true,
}

func registryAnswer(te *transport.Error) error {
	var codes []string
	for _, d := range te.Errors {
		if registryErrorCodes[d.Code] && !slices.Contains(codes, string(d.Code)) {
			codes = append(codes, string(d.Code))
		}
	}
	what := "registry"
	if te.Request != nil && te.Request.URL != nil {
		what = te.Request.Method + " " + redactURL(te.Request.URL.String())
	}
	msg := fmt.Sprintf("%s: HTTP %d %s", what, te.StatusCode, http.StatusText(te.StatusCode))
	if len(codes) > 0 {
		msg += " (" + strings.Join(codes, ", ") + ")"
	}
	return errors.New(msg)
}

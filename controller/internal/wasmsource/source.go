package wasmsource

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Source names one module: exactly one of Image, HTTP or ConfigMap, and
// optionally (required for HTTP) the module's sha256.
type Source struct {
	Image     *ImageSource
	HTTP      *HTTPSource
	ConfigMap *ConfigMapSource
	// SHA256 pins the module's bytes (64 lowercase hex digits): the
	// fetched module must hash to it. Required for HTTP; for an image it
	// pins the .wasm inside the image, not the image's manifest digest.
	SHA256 string
}

// ImageSource is an OCI image reference, by digest (recommended) or tag.
type ImageSource struct {
	Reference string
	// PullSecrets are the contents of kubernetes.io/dockerconfigjson (or
	// legacy kubernetes.io/dockercfg) secrets, tried in order.
	PullSecrets [][]byte
}

// HTTPSource is a URL serving the .wasm file.
type HTTPSource struct {
	URL string
}

// ConfigMapSource is a module stored in a ConfigMap (its binaryData),
// read by the caller. Namespace/Name/Key identify it in errors and keys.
type ConfigMapSource struct {
	Namespace, Name, Key string
	Data                 []byte
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// String names the source for messages: the reference, URL, or ConfigMap.
func (s Source) String() string {
	switch {
	case s.Image != nil:
		return "image " + s.Image.Reference
	case s.HTTP != nil:
		return "url " + redactURL(s.HTTP.URL)
	case s.ConfigMap != nil:
		return fmt.Sprintf("configmap %s/%s key %s", s.ConfigMap.Namespace, s.ConfigMap.Name, s.ConfigMap.Key)
	}
	return "empty source"
}

// check enforces what the CRD's CEL rules enforce, for callers that did
// not come through the API server.
func (s Source) check() error {
	n := 0
	for _, set := range []bool{s.Image != nil, s.HTTP != nil, s.ConfigMap != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("a source needs exactly one of image, http, configMap (got %d)", n)
	}
	if s.SHA256 != "" && !sha256Hex.MatchString(s.SHA256) {
		return errors.New("sha256 must be 64 lowercase hex digits")
	}
	if s.HTTP != nil {
		if s.SHA256 == "" {
			return errors.New("an http source requires sha256")
		}
		if !strings.HasPrefix(s.HTTP.URL, "https://") && !strings.HasPrefix(s.HTTP.URL, "http://") {
			return errors.New("url must be http:// or https://")
		}
	}
	return nil
}

// cacheKey is the source's identity plus its pin: the same key means the
// same module, so a hit needs no network. Credentials are not part of the
// identity (a rotated pull secret does not change the image).
func (s Source) cacheKey() string {
	var id string
	switch {
	case s.Image != nil:
		id = "image\x00" + s.Image.Reference
	case s.HTTP != nil:
		id = "http\x00" + s.HTTP.URL
	case s.ConfigMap != nil:
		sum := sha256.Sum256(s.ConfigMap.Data)
		id = "configmap\x00" + s.ConfigMap.Namespace + "/" + s.ConfigMap.Name + "/" + s.ConfigMap.Key + "\x00" + hex.EncodeToString(sum[:])
	}
	return id + "\x00" + s.SHA256
}

// redactURL drops userinfo and query from a URL for messages: either may
// carry a credential (presigned URLs do).
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i] + "?…"
	}
	if scheme, rest, ok := strings.Cut(u, "://"); ok {
		host, path, _ := strings.Cut(rest, "/")
		if at := strings.LastIndex(host, "@"); at >= 0 {
			host = "…@" + host[at+1:]
		}
		if path != "" || strings.Contains(rest, "/") {
			return scheme + "://" + host + "/" + path
		}
		return scheme + "://" + host
	}
	return u
}

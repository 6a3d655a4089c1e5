package envoysim

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/filters/wasmtest"
)

// Type URLs of the HTTP filters this package runs.
const (
	wasmTypeURL   = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
	routerTypeURL = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
)

// maxCodeBytes bounds a download: Go-built filters are a few MiB.
const maxCodeBytes = 64 << 20

// plugin is one Wasm HTTP filter of a connection manager.
type plugin struct {
	filterName string
	// disabledByDefault is the HCM filter's `disabled`: it runs only on
	// routes that enable it with typed_per_filter_config.
	disabledByDefault bool
	cfg               *wasmv3.PluginConfig
	// Code is where it came from (URI or file) and its sha256.
	CodeSource, CodeSHA256 string
	running                *wasmtest.Plugin
}

// Plugin describes one Wasm filter of a connection manager, for reports.
type Plugin struct {
	FilterName, PluginName, RootID, VMID string
	FailurePolicy                        string
	DisabledByDefault                    bool
	CodeSource, CodeSHA256               string
	Configuration                        []byte
}

// Fetcher downloads remote Wasm code (Envoy's RemoteDataSource).
type Fetcher struct {
	// Client does the GETs; nil means a client that dials Resolve's
	// addresses.
	Client *http.Client
	// Resolve maps "host:port" of an http_uri to the address to dial
	// instead (like curl --resolve), since the proxy's cluster DNS names do
	// not resolve outside the cluster.
	Resolve map[string]string
	// TLS is the proxy's client identity for https code URIs (the code
	// cluster's transport socket); its ServerName is left to each URI's
	// host, the SNI Envoy sends.
	TLS *tls.Config
	// Dir caches downloads as <sha256>.wasm (a temp dir the caller owns).
	Dir string
	// LocalFiles maps a vm_config local filename to a file on this machine.
	LocalFiles map[string]string
}

// HTTPClient is the client the fetcher downloads with.
func (f *Fetcher) HTTPClient() *http.Client { return f.client() }

func (f *Fetcher) client() *http.Client {
	if f.Client != nil {
		return f.Client
	}
	d := &net.Dialer{}
	var tc *tls.Config
	if f.TLS != nil {
		tc = f.TLS.Clone()
		tc.ServerName = ""
	}
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: tc,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := f.Resolve[addr]; ok {
				addr = to
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// code returns a local path of the module's code and its sha256, fetching
// and verifying remote code as Envoy does (the sha256 must match).
func (f *Fetcher) code(ctx context.Context, src *corev3.AsyncDataSource, ix *index) (path, source, sum string, err error) {
	switch s := src.GetSpecifier().(type) {
	case *corev3.AsyncDataSource_Local:
		switch l := s.Local.GetSpecifier().(type) {
		case *corev3.DataSource_Filename:
			p := l.Filename
			if m, ok := f.LocalFiles[p]; ok {
				p = m
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return "", "", "", fmt.Errorf("local code %s: %w", l.Filename, err)
			}
			h := sha256.Sum256(b)
			return p, l.Filename, hex.EncodeToString(h[:]), nil
		case *corev3.DataSource_InlineBytes:
			return f.store(l.InlineBytes, "inline")
		}
		return "", "", "", fmt.Errorf("local code source %T is not modelled", s.Local.GetSpecifier())
	case *corev3.AsyncDataSource_Remote:
		uri := s.Remote.GetHttpUri()
		if _, ok := ix.clusters[uri.GetCluster()]; !ok {
			return "", "", "", fmt.Errorf("code %s: http_uri cluster %q is not in CDS (Envoy cannot fetch it)", uri.GetUri(), uri.GetCluster())
		}
		want := strings.ToLower(s.Remote.GetSha256())
		if want == "" {
			return "", "", "", fmt.Errorf("code %s: remote code without sha256", uri.GetUri())
		}
		cached := filepath.Join(f.Dir, want+".wasm")
		if _, err := os.Stat(cached); err == nil {
			return cached, uri.GetUri(), want, nil
		}
		b, err := f.get(ctx, uri.GetUri())
		if err != nil {
			return "", "", "", err
		}
		h := sha256.Sum256(b)
		if got := hex.EncodeToString(h[:]); got != want {
			return "", "", "", fmt.Errorf("code %s: sha256 %s, but the xDS says %s (Envoy rejects it)", uri.GetUri(), got, want)
		}
		p, _, _, err := f.store(b, uri.GetUri())
		return p, uri.GetUri(), want, err
	}
	return "", "", "", fmt.Errorf("code source %T is not modelled", src.GetSpecifier())
}

func (f *Fetcher) get(ctx context.Context, uri string) ([]byte, error) {
	if _, err := url.Parse(uri); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, err
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", uri, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: HTTP %d", uri, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCodeBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", uri, err)
	}
	if len(b) > maxCodeBytes {
		return nil, fmt.Errorf("fetching %s: more than %d bytes", uri, maxCodeBytes)
	}
	return b, nil
}

func (f *Fetcher) store(b []byte, source string) (path, src, sum string, err error) {
	if f.Dir == "" {
		return "", "", "", fmt.Errorf("Fetcher.Dir is not set")
	}
	h := sha256.Sum256(b)
	sum = hex.EncodeToString(h[:])
	path = filepath.Join(f.Dir, sum+".wasm")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return "", "", "", err
	}
	return path, source, sum, os.Rename(tmp, path)
}

// anyBytes is Envoy's anyToBytes: the value of a StringValue or BytesValue,
// else the serialized message.
func anyBytes(a *anypb.Any) ([]byte, error) {
	if a == nil {
		return nil, nil
	}
	switch a.GetTypeUrl() {
	case "type.googleapis.com/google.protobuf.StringValue":
		var s wrapperspb.StringValue
		if err := a.UnmarshalTo(&s); err != nil {
			return nil, err
		}
		return []byte(s.GetValue()), nil
	case "type.googleapis.com/google.protobuf.BytesValue":
		var s wrapperspb.BytesValue
		if err := a.UnmarshalTo(&s); err != nil {
			return nil, err
		}
		return s.GetValue(), nil
	}
	return a.GetValue(), nil
}

// decodeWasmFilter reads a Wasm HTTP filter's plugin configuration.
func decodeWasmFilter(a *anypb.Any) (*wasmv3.PluginConfig, error) {
	var w wasmfilterv3.Wasm
	if err := a.UnmarshalTo(&w); err != nil {
		return nil, err
	}
	if w.GetConfig() == nil {
		return nil, fmt.Errorf("Wasm filter without config")
	}
	if w.GetConfig().GetVmConfig() == nil {
		return nil, fmt.Errorf("Wasm plugin %q: only vm_config is modelled (no capability-restricted or shared VMs)", w.GetConfig().GetName())
	}
	return w.GetConfig(), nil
}

// RemoteCodeURIs lists the http_uri of every remote Wasm code source the
// resources' connection managers name, sorted and deduplicated.
func RemoteCodeURIs(res *Resources) []string {
	set := map[string]bool{}
	for _, l := range res.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetTypedConfig().GetTypeUrl() != hcmTypeURL {
					continue
				}
				var hcm hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&hcm) != nil {
					continue
				}
				for _, hf := range hcm.GetHttpFilters() {
					if hf.GetTypedConfig().GetTypeUrl() != wasmTypeURL {
						continue
					}
					if cfg, err := decodeWasmFilter(hf.GetTypedConfig()); err == nil {
						if u := cfg.GetVmConfig().GetCode().GetRemote().GetHttpUri().GetUri(); u != "" {
							set[u] = true
						}
					}
				}
			}
		}
	}
	out := make([]string, 0, len(set))
	for u := range set {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

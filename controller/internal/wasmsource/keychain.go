package wasmsource

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerHubHosts are the names Docker Hub credentials are stored under;
// go-containerregistry calls the registry index.docker.io.
var dockerHubHosts = map[string]bool{
	"index.docker.io": true, "docker.io": true, "registry-1.docker.io": true,
}

// pullSecretKeychain resolves credentials from Kubernetes pull secrets, the
// way the kubelet does for the simple cases: an entry keyed by a registry
// host (optionally with a scheme, and a path that narrows it to matching
// repositories) applies to images under it; the longest match wins, then
// the earlier secret. Glob entries (*.example.com) are not supported.
type pullSecretKeychain struct {
	entries []credEntry // sorted: longest prefix first, then secret order
}

type credEntry struct {
	prefix string // host[/path]
	order  int
	auth   authn.AuthConfig
}

// newPullSecretKeychain parses the secrets' contents: the
// kubernetes.io/dockerconfigjson format ({"auths": {...}}) or the legacy
// kubernetes.io/dockercfg one (the map alone).
func newPullSecretKeychain(secrets [][]byte) (authn.Keychain, error) {
	kc := &pullSecretKeychain{}
	for i, raw := range secrets {
		var wrapped struct {
			Auths map[string]authn.AuthConfig `json:"auths"`
		}
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, fmt.Errorf("pull secret %d: %w", i, err)
		}
		auths := wrapped.Auths
		if auths == nil {
			if err := json.Unmarshal(raw, &auths); err != nil {
				return nil, fmt.Errorf("pull secret %d: %w", i, err)
			}
		}
		keys := make([]string, 0, len(auths))
		for k := range auths {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic among equal-length prefixes
		for _, k := range keys {
			kc.entries = append(kc.entries, credEntry{prefix: normalizeRegistryKey(k), order: i, auth: auths[k]})
		}
	}
	sort.SliceStable(kc.entries, func(a, b int) bool {
		ea, eb := kc.entries[a], kc.entries[b]
		if len(ea.prefix) != len(eb.prefix) {
			return len(ea.prefix) > len(eb.prefix)
		}
		return ea.order < eb.order
	})
	return kc, nil
}

// Resolve returns the credential of the best entry for target (a registry
// or a repository), or anonymous access.
func (kc *pullSecretKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	full := target.String()
	if dockerHubHosts[host] {
		host = "index.docker.io"
		full = host + strings.TrimPrefix(full, target.RegistryStr())
	}
	for _, e := range kc.entries {
		if e.prefix == host || e.prefix == full || strings.HasPrefix(full, e.prefix+"/") {
			return authn.FromConfig(e.auth), nil
		}
	}
	return authn.Anonymous, nil
}

// normalizeRegistryKey turns a docker config key ("https://host:5000/v1/",
// "host/team", "docker.io") into host[/path] as images name it.
func normalizeRegistryKey(k string) string {
	if strings.Contains(k, "://") {
		if u, err := url.Parse(k); err == nil {
			k = u.Host + u.Path
		}
	}
	k = strings.TrimSuffix(k, "/")
	host, path, _ := strings.Cut(k, "/")
	if dockerHubHosts[host] {
		host = "index.docker.io"
		if path == "v1" || path == "v2" { // the legacy Hub key https://index.docker.io/v1/
			path = ""
		}
	}
	if path == "" {
		return host
	}
	return host + "/" + path
}

package wasmsource

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestNormalizeRegistryKey(t *testing.T) {
	for in, want := range map[string]string{
		"https://index.docker.io/v1/":       "index.docker.io",
		"docker.io":                         "index.docker.io",
		"registry.example.com":              "registry.example.com",
		"https://registry.example.com:5000": "registry.example.com:5000",
		"registry.example.com/team/":        "registry.example.com/team",
		"http://registry.example.com/team":  "registry.example.com/team",
	} {
		if got := normalizeRegistryKey(in); got != want {
			t.Errorf("normalizeRegistryKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPullSecretKeychainResolve(t *testing.T) {
	kc, err := newPullSecretKeychain([][]byte{
		dockerConfigJSON("registry.example.com", "host", "1"),
		dockerConfigJSON("registry.example.com/team", "team", "2"),
		// legacy dockercfg: the map without "auths"
		[]byte(`{"https://index.docker.io/v1/":{"username":"hub","password":"3"}}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	for ref, wantUser := range map[string]string{
		"registry.example.com/other/fx:v1":   "host",
		"registry.example.com/team/fx:v1":    "team", // the longer prefix wins
		"registry.example.com/teamwork/fx:1": "host", // a prefix ends at a path segment
		"docker.io/library/fx:v1":            "hub",
		"elsewhere.example.com/fx:v1":        "",
	} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		a, err := kc.Resolve(r.Context())
		if err != nil {
			t.Fatal(err)
		}
		if wantUser == "" {
			if a != authn.Anonymous {
				t.Errorf("%s: want anonymous", ref)
			}
			continue
		}
		cfg, err := a.Authorization()
		if err != nil || cfg.Username != wantUser {
			t.Errorf("%s: user %q (%v), want %q", ref, cfg.Username, err, wantUser)
		}
	}
}

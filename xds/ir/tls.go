package ir

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// TLSServer is one TLS-terminating filter chain of an HTTPS port: one
// Gateway listener. Envoy picks the chain by the client's SNI (most
// specific server name first, the chain without server names last), so a
// connection is served by the routes of the listener its SNI names and no
// other.
type TLSServer struct {
	// Name is unique in the proxy; it names the filter chain and its route
	// configuration, e.g. "default/gw/443/https-foo".
	Name string `json:"name"`
	// ServerNames are the SNI names the chain accepts ("foo.example.com",
	// "*.example.com"); empty accepts any (a listener without hostname).
	ServerNames []string `json:"serverNames,omitempty"`
	// Certificates name TLSCertificates of the proxy, offered by the
	// client's SNI and key type; at least one.
	Certificates []string `json:"certificates"`
	// VirtualHosts of this chain's route configuration, as
	// HTTPListener.VirtualHosts.
	VirtualHosts []*VirtualHost `json:"virtualHosts,omitempty"`
}

// TLSCertificate is a certificate and its key, from a kubernetes.io/tls
// Secret. It reaches Envoy as an SDS secret on the ADS stream, so a rotated
// Secret changes only the secret, never the listener that refers to it.
type TLSCertificate struct {
	// Name is unique in the proxy and names the SDS secret, e.g.
	// "default/my-cert".
	Name string `json:"name"`
	// CertificateChain is PEM (leaf first); certificates are public.
	CertificateChain string `json:"certificateChain"`
	// PrivateKey is PEM; it marshals as a hash only (Sensitive).
	PrivateKey Sensitive `json:"privateKey"`
}

// Sensitive is secret text. It marshals as "redacted:sha256:<16 hex>": a
// dump of the IR (goldens, `wasp translate --show ir`, debug logs) never
// shows it, yet two IRs with different keys still marshal differently, so
// a content hash of the IR changes when a key rotates. It unmarshals from
// clear text only (test inputs); a redacted value is refused.
type Sensitive string

// redactedPrefix starts the marshalled form of a Sensitive.
const redactedPrefix = "redacted:sha256:"

// Redacted is the marshalled form of s.
func (s Sensitive) Redacted() string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte(s))
	return redactedPrefix + hex.EncodeToString(h[:])[:16]
}

// MarshalJSON writes the redacted form.
func (s Sensitive) MarshalJSON() ([]byte, error) { return json.Marshal(s.Redacted()) }

// MarshalText makes the value redacted as a map key or in text encoders too.
func (s Sensitive) MarshalText() ([]byte, error) { return []byte(s.Redacted()), nil }

// String is the redacted form, so %v and %s never print the secret.
func (s Sensitive) String() string { return s.Redacted() }

// GoString is the redacted form too (%#v).
func (s Sensitive) GoString() string { return s.Redacted() }

// UnmarshalJSON reads clear text.
func (s *Sensitive) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if strings.HasPrefix(v, redactedPrefix) {
		return fmt.Errorf("a redacted secret cannot be read back")
	}
	*s = Sensitive(v)
	return nil
}

// Clear returns the secret itself, for the one place that needs it: the SDS
// resource sent to the proxy.
func (s Sensitive) Clear() []byte { return []byte(s) }

// validateTLS checks the TLS servers and their certificates: every
// certificate referred to exists and has a chain and a key, server names
// are unique on a port (Envoy refuses two chains with the same match), and
// a TLS port has no plaintext virtual hosts.
func (p *Proxy) validateTLS(bad func(string, ...any)) {
	certs := map[string]bool{}
	for _, c := range p.TLSCertificates {
		if certs[c.Name] {
			bad("tls certificate %s: duplicate name", c.Name)
		}
		certs[c.Name] = true
		if c.CertificateChain == "" || c.PrivateKey == "" {
			bad("tls certificate %s: needs a certificate chain and a private key", c.Name)
		}
	}
	names := map[string]bool{}
	for _, l := range p.Listeners {
		if len(l.TLS) == 0 {
			continue
		}
		if len(l.VirtualHosts) > 0 {
			bad("listener %s: a TLS port has its virtual hosts in its TLS servers", l.Name)
		}
		sni := map[string]bool{}
		for _, ts := range l.TLS {
			if names[ts.Name] {
				bad("tls server %s: duplicate name", ts.Name)
			}
			names[ts.Name] = true
			if len(ts.Certificates) == 0 {
				bad("tls server %s: no certificate", ts.Name)
			}
			for _, c := range ts.Certificates {
				if !certs[c] {
					bad("tls server %s: unknown tls certificate %q", ts.Name, c)
				}
			}
			key := strings.Join(ts.ServerNames, ",")
			if sni[key] {
				bad("tls server %s: server names %q used twice on port %d", ts.Name, key, l.Port)
			}
			sni[key] = true
		}
	}
}

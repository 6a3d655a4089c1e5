package sds

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"iter"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// intermediate returns a CA signed by ca (Istio with a plugged-in CA
// writes leaf + intermediate into cert-chain.pem).
func (ca *testCA) intermediate(t *testing.T) *testCA {
	t.Helper()
	key := ecKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{Organization: []string{"intermediate"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: certPEM(der)}
}

func TestNewMaterial(t *testing.T) {
	root := newCA(t, "mesh")
	other := newCA(t, "other mesh")
	ok := root.issue(t, gatewayID, ecKey(t))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048) // istio-agent's default key type
	if err != nil {
		t.Fatal(err)
	}
	withRSA := root.issue(t, gatewayID, rsaKey)
	inter := root.intermediate(t)
	viaInter := inter.issue(t, gatewayID, ecKey(t))
	viaInter.chain = append(viaInter.chain, inter.pem...)
	viaInter.roots = root.pem
	fromOther := other.issue(t, gatewayID, ecKey(t))

	cases := []struct {
		name           string
		chain, key, ca []byte
		wantErr        string // substring; "" = valid
		wantWarning    string // substring of a warning; "" = none
	}{
		{name: "ec key", chain: ok.chain, key: ok.key, ca: ok.roots},
		{name: "rsa pkcs1 key", chain: withRSA.chain, key: withRSA.key, ca: withRSA.roots},
		{name: "intermediate in chain", chain: viaInter.chain, key: viaInter.key, ca: viaInter.roots},
		{name: "two roots (root rotation)", chain: ok.chain, key: ok.key, ca: append(slices.Clip(other.pem), root.pem...)},
		{name: "key of another certificate", chain: ok.chain, key: fromOther.key, ca: ok.roots,
			wantErr: "private key does not match"},
		{name: "rsa key with ec certificate", chain: ok.chain, key: withRSA.key, ca: ok.roots,
			wantErr: "private key does not match"},
		{name: "truncated chain", chain: ok.chain[:len(ok.chain)/2], key: ok.key, ca: ok.roots,
			wantErr: "cert-chain.pem: "},
		{name: "empty chain", chain: nil, key: ok.key, ca: ok.roots, wantErr: "cert-chain.pem: no certificate"},
		{name: "key in chain file", chain: ok.key, key: ok.key, ca: ok.roots, wantErr: `unexpected PEM block "EC PRIVATE KEY"`},
		{name: "empty key", chain: ok.chain, key: nil, ca: ok.roots, wantErr: "key.pem: no PEM private key"},
		{name: "truncated key", chain: ok.chain, key: ok.key[:40], ca: ok.roots, wantErr: "key.pem: no PEM private key"},
		{name: "garbage roots", chain: ok.chain, key: ok.key, ca: []byte("not pem"), wantErr: "root-cert.pem: "},
		{name: "chain from another CA than the roots", chain: fromOther.chain, key: fromOther.key, ca: ok.roots,
			wantWarning: "does not verify against root-cert.pem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewMaterial(c.chain, c.key, c.ca, time.Now())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			warnings := strings.Join(m.Warnings, "\n")
			if c.wantWarning == "" && warnings != "" || !strings.Contains(warnings, c.wantWarning) {
				t.Fatalf("warnings = %q, want %q", warnings, c.wantWarning)
			}
			if got := m.Identities(); !slices.Equal(got, []string{gatewayID}) {
				t.Errorf("identities = %v", got)
			}
		})
	}
}

func TestKeyMismatchIsErrKeyMismatch(t *testing.T) {
	ca := newCA(t, "mesh")
	a, b := ca.issue(t, gatewayID, ecKey(t)), ca.issue(t, gatewayID, ecKey(t))
	_, err := NewMaterial(a.chain, b.key, a.roots, time.Now())
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("error = %v, want ErrKeyMismatch", err)
	}
}

func TestExpiredLeafIsServedWithWarning(t *testing.T) {
	ca := newCA(t, "mesh")
	w := ca.issue(t, gatewayID, ecKey(t))
	m, err := NewMaterial(w.chain, w.key, w.roots, time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "expired") {
		t.Fatalf("warnings = %q, want one about expiry", m.Warnings)
	}
}

func TestVersionIsContentHash(t *testing.T) {
	ca := newCA(t, "mesh")
	w := ca.issue(t, gatewayID, ecKey(t))
	version := func(chain, key, roots []byte) string {
		t.Helper()
		m, err := NewMaterial(chain, key, roots, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return m.Version
	}
	v := version(w.chain, w.key, w.roots)
	if again := version(bytes.Clone(w.chain), bytes.Clone(w.key), bytes.Clone(w.roots)); again != v {
		t.Errorf("same content, versions %s and %s", v, again)
	}
	if len(v) != versionLen {
		t.Errorf("version %q: want %d hex digits", v, versionLen)
	}
	// Each file is part of the version: a trailing newline is enough.
	changed := map[string]string{
		"chain": version(append(slices.Clip(w.chain), '\n'), w.key, w.roots),
		"key":   version(w.chain, append(slices.Clip(w.key), '\n'), w.roots),
		"roots": version(w.chain, w.key, append(slices.Clip(w.roots), '\n')),
	}
	for file, cv := range changed {
		if cv == v {
			t.Errorf("changing %s kept version %s", file, v)
		}
	}
}

func TestSecrets(t *testing.T) {
	ca := newCA(t, "mesh")
	w := ca.issue(t, gatewayID, ecKey(t))
	m, err := NewMaterial(w.chain, w.key, w.roots, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := m.Secrets()
	if err != nil {
		t.Fatal(err)
	}
	checkSecrets(t, secretsByName(secrets), w)
}

func secretsByName(ss []*tlsv3.Secret) map[string]*tlsv3.Secret {
	out := map[string]*tlsv3.Secret{}
	for _, s := range ss {
		out[s.Name] = s
	}
	return out
}

// checkSecrets asserts the two secrets carry exactly w's files and pass
// validation.
func checkSecrets(t *testing.T, got map[string]*tlsv3.Secret, w workload) {
	t.Helper()
	if len(got) != 2 {
		t.Fatalf("got secrets %v, want %s and %s", slices.Sorted(maps.Keys(got)), ServerCertSecret, ValidationContextSecret)
	}
	for name, s := range got {
		if err := s.ValidateAll(); err != nil {
			t.Errorf("secret %s: %v", name, err)
		}
	}
	tc := got[ServerCertSecret].GetTlsCertificate()
	if !bytes.Equal(tc.GetCertificateChain().GetInlineBytes(), w.chain) {
		t.Errorf("%s: certificate chain differs from the file", ServerCertSecret)
	}
	if !bytes.Equal(tc.GetPrivateKey().GetInlineBytes(), w.key) {
		t.Errorf("%s: private key differs from the file", ServerCertSecret)
	}
	vc := got[ValidationContextSecret].GetValidationContext()
	if !bytes.Equal(vc.GetTrustedCa().GetInlineBytes(), w.roots) {
		t.Errorf("%s: trusted CA differs from the file", ValidationContextSecret)
	}
}

func mapsKeys[V any](m map[string]V) iter.Seq[string] { return maps.Keys(m) }

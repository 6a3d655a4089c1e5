package ir

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestSensitiveNeverPrintsTheSecret: every way of printing a Sensitive
// gives its hash, two keys give two hashes (an IR hash sees a rotation),
// and a redacted value cannot be read back as if it were a key.
func TestSensitiveNeverPrintsTheSecret(t *testing.T) {
	key := Sensitive("-----BEGIN PRIVATE KEY-----\ntest-only\n-----END PRIVATE KEY-----\n")
	c := TLSCertificate{Name: "ns/cert", CertificateChain: "chain", PrivateKey: key}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(b), fmt.Sprint(key), fmt.Sprintf("%v %s %#v %+v", key, key, key, c)} {
		if strings.Contains(out, "test-only") || !strings.Contains(out, "redacted:sha256:") {
			t.Errorf("printed %q", out)
		}
	}
	if Sensitive("other").Redacted() == key.Redacted() {
		t.Error("two keys, one hash")
	}
	var back TLSCertificate
	if err := json.Unmarshal(b, &back); err == nil {
		t.Error("a redacted key was read back")
	}
	if err := json.Unmarshal([]byte(`{"name":"x","certificateChain":"c","privateKey":"clear"}`), &back); err != nil || back.PrivateKey != "clear" {
		t.Errorf("clear key not read: %v %q", err, back.PrivateKey.Clear())
	}
}

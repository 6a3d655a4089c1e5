package sds

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Secrets are the two SDS resources for m, each validated.
func (m *Material) Secrets() ([]*tlsv3.Secret, error) {
	out := []*tlsv3.Secret{
		{
			Name: ServerCertSecret,
			Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
				CertificateChain: inline(m.CertChain),
				PrivateKey:       inline(m.Key),
			}},
		},
		{
			Name: ValidationContextSecret,
			Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
				TrustedCa: inline(m.Roots),
			}},
		},
	}
	for _, s := range out {
		if err := s.ValidateAll(); err != nil {
			return nil, fmt.Errorf("secret %s: %w", s.Name, err)
		}
	}
	return out, nil
}

// inline embeds the file content: Envoy's container does not mount the
// agent's volume, and a rotation is then one SDS push of new bytes.
func inline(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}

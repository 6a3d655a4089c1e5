package translator

import (
	"encoding/json"
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

// YAML renders resources the way Envoy's docs write config (snake_case
// field names, Anys expanded with their @type), deterministically: golden
// files and `wasp translate --show xds` use it.
func (r *Resources) YAML() ([]byte, error) {
	doc := map[string][]any{}
	add := func(key string, m proto.Message) error {
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil { // protojson output is deliberately unstable
			return err
		}
		doc[key] = append(doc[key], v)
		return nil
	}
	for _, m := range r.Listeners {
		if err := add("listeners", m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Routes {
		if err := add("routes", m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Clusters {
		if err := add("clusters", m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Endpoints {
		if err := add("endpoints", m); err != nil {
			return nil, err
		}
	}
	for _, m := range r.Secrets {
		if err := add("secrets", redactedSecret(m)); err != nil {
			return nil, err
		}
	}
	return yaml.Marshal(doc)
}

// redactedSecret is a copy of s whose private key is replaced by its hash
// (ir.Sensitive): dumps show which key a proxy has, never the key.
func redactedSecret(s *tlsv3.Secret) *tlsv3.Secret {
	c := proto.Clone(s).(*tlsv3.Secret)
	if tc := c.GetTlsCertificate(); tc != nil && tc.PrivateKey != nil {
		key := ir.Sensitive(tc.PrivateKey.GetInlineBytes())
		if k := tc.PrivateKey.GetInlineString(); k != "" {
			key = ir.Sensitive(k)
		}
		tc.PrivateKey = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: key.Redacted()}}
	}
	return c
}

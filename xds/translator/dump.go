package translator

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"
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
	return yaml.Marshal(doc)
}

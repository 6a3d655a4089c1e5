package translator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// checkPluginConfig parses a built-in filter's plugin configuration with
// the filter's own parser, so a policy the filter would refuse at plugin
// start (where it would fail the listener) is refused here instead, with
// the field named. Custom filters' configurations are opaque.
func checkPluginConfig(filter string, body []byte) error {
	switch filter {
	case ir.FilterRateLimit:
		_, err := config.ParseRateLimitPlugin(body)
		return err
	case ir.FilterTransform:
		_, err := config.ParseTransformPlugin(body)
		return err
	case ir.FilterAccessLog:
		_, err := parseAccessLogPlugin(body)
		return err
	}
	return nil
}

// parseAccessLogPlugin decodes the access-log plugin configuration strictly
// and validates every policy with the filter's format parser.
func parseAccessLogPlugin(body []byte) (*config.PluginConfig[config.AccessLogPolicy], error) {
	var c config.PluginConfig[config.AccessLogPolicy]
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	var errs []error
	for _, k := range sortedKeys(c.Policies) {
		p := c.Policies[k]
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("policies[%q]: %w", k, err))
		}
	}
	return &c, errors.Join(errs...)
}

// accessLogPolicy decodes one access-log policy of the IR.
func accessLogPolicy(f *ir.WasmFilter, key string) (*config.AccessLogPolicy, error) {
	var p config.AccessLogPolicy
	dec := json.NewDecoder(bytes.NewReader(f.Policies[key]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("wasm filter %s: policy %q: %w", f.Name, key, err)
	}
	return &p, nil
}

package main

import (
	"encoding/json"
	"fmt"
)

// Names the filter shares with its tests and operators.
const (
	counterKey     = "wasp.example.requests" // shared-data key, per vm_id
	countHeader    = "x-request-count"       // response header with the count
	countProperty  = "example_count"         // filter state wasm.example_count
	requestsMetric = "example_requests_total"
	deniedStatus   = 403
	deniedBody     = "denied by wasp example\n"
)

// config is the plugin configuration (JSON).
type config struct {
	// Header and Value are added to every counted request.
	Header string `json:"header"`
	Value  string `json:"value"`
	// DenyPath is answered with 403 by the filter itself ("" = none).
	DenyPath string `json:"deny_path"`
}

func parseConfig(data []byte) (config, error) {
	cfg := config{Header: "x-wasp-example", Value: "hello"}
	if len(data) == 0 {
		return cfg, nil
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return config{}, err
	}
	if cfg.Header == "" {
		return config{}, fmt.Errorf("header must not be empty")
	}
	return cfg, nil
}

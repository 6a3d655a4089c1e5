// Package crd embeds the CRDs controller-gen writes to bases/, so `wasp
// translate` validates manifests against exactly the schemas (OpenAPI and
// CEL) the API server enforces (internal/admission).
package crd

import "embed"

// Bases holds bases/*.yaml.
//
//go:embed bases/*.yaml
var Bases embed.FS

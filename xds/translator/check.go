package translator

import (
	"fmt"

	"wasp.dev/xds/ir"
)

// CheckRoute translates one route on its own and validates the Envoy route
// it becomes, exactly as Translate would inside a proxy. The controller
// runs it on every route it builds from an HTTPRoute, so a route Envoy
// would refuse is reported on that HTTPRoute and left out, instead of
// failing its whole proxy. r.Wasm is ignored: Wasm policies are validated
// by their filters' own Validate.
func CheckRoute(r *ir.Route) error {
	c := *r
	c.Wasm = nil
	t := &translation{wasm: newWasmState(&ir.Proxy{})}
	er, err := t.route(&c)
	if err != nil {
		return err
	}
	if err := er.ValidateAll(); err != nil {
		return fmt.Errorf("route %s: %w", r.Name, err)
	}
	return nil
}

// CheckRegex says whether Envoy's RE2 accepts re within its default
// program size (regex.go).
func CheckRegex(re string) error { return checkRegex(re) }

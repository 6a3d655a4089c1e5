// Package template is wasp's template language for request and response
// transformations: the common part of kgateway's Inja templates (a Jinja
// dialect) in pure Go, standard library only, so it compiles into the
// transform filter's .wasm and into the controller that validates policies.
//
// A template is parsed once (Parse) and rendered per request (Render,
// AppendRender). Parse errors and render errors carry a 1-based line:column.
// Rendering is bounded: Limits caps the output size, the bytes produced along
// the way and the number of evaluation steps, so no template can loop forever
// or allocate without bound, whatever the request carries.
//
// # Rendering without allocating
//
// The engine is built for a Go guest in Wasm, where a heap allocation costs
// about as much as a host call and a function call several times what it
// costs natively:
//
//   - Values are a small tagged struct (Value: kind, number bits, string,
//     item slice), not `any`: scalars are never boxed. Arrays are runs of
//     Values; an object is a run of key, value pairs (small body objects in
//     document order, larger ones sorted by key for binary search).
//   - Parse compiles the syntax tree into closures: text is written as it
//     is, a path such as user.name or l.sku is one closure that knows where
//     its variable lives (a loop frame by depth, a set slot, the body), and
//     function calls take their arguments from one stack.
//   - JSONDoc decodes a body into Values in one slab, strings as slices of
//     the body (an arena for unescaped ones), in one loop without recursion
//     and without encoding/json. A JSONDoc is reused: Decode resets it.
//   - Per-render state (loop frames, set slots, argument stack, the slab and
//     arena for built lists and strings) lives in a pooled renderer that is
//     reset, not reallocated. The "loop" variable is a reference to its
//     frame, turned into an object only where it could outlive the iteration.
//   - Input gives headers as the pairs the host returned (HeaderList):
//     header() scans them, no map per request.
//
// With an Input.Doc, HeaderList and a reused dst, a render allocates nothing
// in the steady state. Input.JSON (Go values, as DecodeJSON returns) and the
// header maps still work, converted per render.
//
// The language, the design and the measured figures are in ../README.md.
package template

// Package template is wasp's template language for request and response
// transformations: the common part of kgateway's Inja templates (a Jinja
// dialect) in pure Go, standard library only, so it compiles into the
// transform filter's .wasm and into the controller that validates policies.
//
// A template is parsed once (Parse) and rendered per request (Render). Parse
// errors and render errors carry a 1-based line:column. Rendering is bounded:
// Limits caps the output size, the bytes produced along the way and the number
// of evaluation steps, so no template can loop forever or allocate without
// bound, whatever the request carries.
//
// The language is documented in ../README.md.
package template

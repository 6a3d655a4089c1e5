// Package format parses Envoy access-log format strings and JSON format
// dictionaries and renders them for one request, with the output rules of
// Envoy ≥ 1.33:
//
//   - text formats print "-" for a missing value;
//   - in a JSON format, keys are sorted; a value that is exactly one operator
//     keeps its type (numbers stay numbers) or is null when missing; a value
//     mixing text or several operators is a string with "-" for missing parts;
//   - %RESPONSE_FLAGS% with no flag is "-", %RESPONSE_CODE% with no response
//     is 0.
//
// A format is parsed once (at plugin start, and by the controller to reject a
// bad policy before it reaches Envoy) into a list of pieces; rendering then
// only appends bytes. Values come from a Source the caller implements, asked
// only for what the format uses. The package is pure Go with no imports of
// wasp's, so the filter (in Wasm) and the controller share it.
package format

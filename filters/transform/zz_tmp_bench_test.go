package main

import "testing"

func BenchmarkWasmRemoveOnly(b *testing.B) {
	benchWasm(b, `{"request":{"remove":["x-internal"]}}`, benchHeaders, "")
}
func BenchmarkWasmJSONNoTemplates(b *testing.B) {
	benchWasm(b, `{"request":{"set":[{"name":"x-a","value":"1"}],"body":{"parseAs":"AsJson","value":"x"}}}`, benchPostHeaders(), benchJSONBody)
}
func BenchmarkWasmBodyNoJSON(b *testing.B) {
	benchWasm(b, `{"request":{"set":[{"name":"x-a","value":"1"}],"body":{"value":"x"}}}`, benchPostHeaders(), benchJSONBody)
}

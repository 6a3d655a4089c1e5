package template

import (
	"fmt"
	"strings"
	"testing"
)

// benchOrder is a 4 KiB JSON order document.
var benchOrder = func() []byte {
	var b strings.Builder
	b.WriteString(`{"order":{"id":"ord-42","customer":{"name":"Ada","tier":"gold"},"lines":[`)
	for i := 0; b.Len() < 4096-80; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"sku":"sku-%04d","qty":%d,"price":%d.25,"note":"n"}`, i, i%5+1, i%17+1)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}()

func BenchmarkDecodeJSON4KiB(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchOrder)))
	cpu := startCPU()
	for b.Loop() {
		if _, err := DecodeJSON(benchOrder); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkRenderLoop4KiB(b *testing.B) {
	tmpl, err := Parse(`[{% for l in order.lines %}{"sku":"{{ l.sku }}","total":{{ l.qty * l.price }}}{% if not loop.is_last %},{% endif %}{% endfor %}]`)
	if err != nil {
		b.Fatal(err)
	}
	v, _ := DecodeJSON(benchOrder)
	in := &Input{JSON: v}
	var buf []byte
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if buf, err = tmpl.AppendRender(buf[:0], in, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkRenderHeader(b *testing.B) {
	tmpl, err := Parse(`{{ replace_with_string(header(":path"), "/v1/", "/v2/") }}`)
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{Headers: map[string]string{":path": "/v1/orders/42"}}
	var buf []byte
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if buf, err = tmpl.AppendRender(buf[:0], in, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

// The filter's path: one JSONDoc reused across requests, header lists rather
// than maps. Steady state: no allocation.

func BenchmarkDecodeJSONDoc4KiB(b *testing.B) {
	var doc JSONDoc
	src := string(benchOrder)
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	cpu := startCPU()
	for b.Loop() {
		if err := doc.Decode(src); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkRenderLoop4KiBDoc(b *testing.B) {
	tmpl, err := Parse(`[{% for l in order.lines %}{"sku":"{{ l.sku }}","total":{{ l.qty * l.price }}}{% if not loop.is_last %},{% endif %}{% endfor %}]`)
	if err != nil {
		b.Fatal(err)
	}
	var doc JSONDoc
	if err := doc.Decode(string(benchOrder)); err != nil {
		b.Fatal(err)
	}
	in := &Input{Doc: &doc}
	var buf []byte
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if buf, err = tmpl.AppendRender(buf[:0], in, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

func BenchmarkRenderHeaderList(b *testing.B) {
	tmpl, err := Parse(`{{ replace_with_string(header(":path"), "/v1/", "/v2/") }}`)
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{HeaderList: [][2]string{{":method", "GET"}, {":path", "/v1/orders/42"}}}
	var buf []byte
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		if buf, err = tmpl.AppendRender(buf[:0], in, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}

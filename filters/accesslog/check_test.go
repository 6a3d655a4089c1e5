package accesslog

import (
	"encoding/json"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func checkLines(t *testing.T, got result, want map[int]string) {
	t.Helper()
	if want == nil {
		want = map[int]string{}
	}
	if !reflect.DeepEqual(got.lines, want) {
		t.Errorf("lines:\n got %#v\nwant %#v", got.lines, want)
	}
	if !got.seen {
		t.Error("seen marker not set")
	}
}

var (
	uuidShape      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	startTimeShape = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

// checkSeedSample compares the line with the seed's sample: same sorted keys,
// same JSON types, same values except request_id and start_time, which are
// compared by shape.
func checkSeedSample(t *testing.T, got result) {
	t.Helper()
	line, ok := got.lines[0]
	if !ok {
		t.Fatal("no line")
	}
	var gotObj, wantObj map[string]any
	if err := json.Unmarshal([]byte(line), &gotObj); err != nil {
		t.Fatalf("line is not JSON: %v\n%s", err, line)
	}
	if err := json.Unmarshal([]byte(seedSample), &wantObj); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	if !reflect.DeepEqual(keys(gotObj), keys(wantObj)) {
		t.Fatalf("keys %v, want %v", keys(gotObj), keys(wantObj))
	}
	if !sort.StringsAreSorted(keysInOrder(t, line)) {
		t.Errorf("keys not sorted in the line: %s", line)
	}
	for k, w := range wantObj {
		g := gotObj[k]
		if reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Errorf("%s: type %T, want %T", k, g, w)
			continue
		}
		switch k {
		case "request_id":
			if !uuidShape.MatchString(g.(string)) {
				t.Errorf("request_id %q is not a UUID", g)
			}
		case "start_time":
			if !startTimeShape.MatchString(g.(string)) {
				t.Errorf("start_time %q is not Envoy's default shape", g)
			}
		default:
			if g != w {
				t.Errorf("%s = %v, want %v", k, g, w)
			}
		}
	}
	if gotObj["response_flags"] != "RL" {
		t.Errorf("response_flags = %v, want RL", gotObj["response_flags"])
	}
}

// keysInOrder lists the top-level keys in the order the line has them.
func keysInOrder(t *testing.T, line string) []string {
	dec := json.NewDecoder(stringsReader(line))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// durationsFormat has the operators whose values come from the VM's clock.
const durationsFormat = `{"d":"%DURATION%","req":"%REQUEST_DURATION%","resp":"%RESPONSE_DURATION%"}`

// checkDurations checks the in-VM timings by type: whole milliseconds, and
// the response never starts before the request ends.
func checkDurations(t *testing.T, got result) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(got.lines[0]), &v); err != nil {
		t.Fatalf("%v: %q", err, got.lines[0])
	}
	if v["d"] != float64(3) {
		t.Errorf("DURATION = %v, want 3 (request.duration 3ms)", v["d"])
	}
	req, ok1 := v["req"].(float64)
	resp, ok2 := v["resp"].(float64)
	if !ok1 || !ok2 || req < 0 || resp < req {
		t.Errorf("REQUEST_DURATION %v, RESPONSE_DURATION %v: want numbers, 0 <= req <= resp", v["req"], v["resp"])
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

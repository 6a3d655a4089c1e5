package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"wasp.dev/filters/transform/template"
)

// Transformation is one transformation policy: kgateway's
// TrafficPolicy.spec.transformation (request and response, each with set,
// add, remove and body), plus wasp's body buffer limit.
//
// Values are templates (see filters/transform/README.md). The transform
// plugin's configuration is PluginConfig[Transformation]; parse it with
// ParseTransformPlugin so the filter and the translator agree on what is
// valid. Validate parses every template, so a policy with a bad template is
// rejected by the controller before it reaches Envoy.
type Transformation struct {
	// Request transforms the request on its way to the upstream.
	Request *Transform `json:"request,omitempty"`
	// Response transforms the response on its way to the client.
	Response *Transform `json:"response,omitempty"`
	// MaxBodyBytes bounds the body the filter buffers when a transformation
	// needs it (wasp extension; kgateway's counterpart is
	// TrafficPolicy.spec.buffer.maxRequestSize). A larger request gets 413, a
	// larger response 500. Default DefaultTransformMaxBodyBytes.
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
}

// Transform mirrors kgateway's api/v1alpha1 Transform.
type Transform struct {
	// Set replaces a header's values with the template's output.
	Set []HeaderTransformation `json:"set,omitempty"`
	// Add appends a value to a header, keeping the values already there.
	Add []HeaderTransformation `json:"add,omitempty"`
	// Remove deletes headers by name.
	Remove []string `json:"remove,omitempty"`
	// Body parses the body and, with a value, replaces it. Nil: the body is
	// neither buffered nor changed (unless a header template calls body()).
	Body *BodyTransformation `json:"body,omitempty"`
}

// HeaderTransformation mirrors kgateway's HeaderTransformation.
type HeaderTransformation struct {
	// Name is the header; a pseudo-header (":path") where Envoy allows it.
	Name string `json:"name,omitempty"`
	// Value is the template whose output becomes the header's value.
	Value string `json:"value,omitempty"`
}

// BodyTransformation mirrors kgateway's BodyTransformation.
type BodyTransformation struct {
	// ParseAs is AsString (default) or AsJson. With AsJson, templates read
	// the body's fields as paths (user.name) and a body that is not JSON
	// fails the request (400) or the response (500).
	ParseAs BodyParseBehavior `json:"parseAs,omitempty"`
	// Value is the template for the new body; nil keeps the body.
	Value *string `json:"value,omitempty"`
}

// BodyParseBehavior says how the body is parsed (kgateway's enum).
type BodyParseBehavior string

const (
	BodyParseAsString BodyParseBehavior = "AsString"
	BodyParseAsJSON   BodyParseBehavior = "AsJson"
)

// Limits of Transformation.
const (
	// DefaultTransformMaxBodyBytes is 1 MiB, Envoy's default per-connection
	// buffer limit: a larger body would hit Envoy's own limit first anyway.
	DefaultTransformMaxBodyBytes = 1 << 20
	// MaxTransformMaxBodyBytes caps the buffer at 64 MiB per stream; past
	// that, a few concurrent requests could exhaust the proxy's memory.
	MaxTransformMaxBodyBytes = 64 << 20
	// MaxHeaderTransformations is kgateway's MaxItems for set, add and
	// remove.
	MaxHeaderTransformations = 16
	// maxHeaderNameLen is kgateway's MaxLength for a header name.
	maxHeaderNameLen = 256
)

// What the transform filter answers when it cannot transform a message.
const (
	// TransformBodyTooLargeRequestStatus is the status of a request whose
	// body is larger than MaxBodyBytes.
	TransformBodyTooLargeRequestStatus = 413
	// TransformBadRequestStatus answers a request whose body is not JSON
	// under AsJson, or whose templates fail on it.
	TransformBadRequestStatus = 400
	// TransformResponseFailedStatus replaces a response that is too large,
	// not JSON under AsJson, or whose templates fail on it.
	TransformResponseFailedStatus = 500
)

// Headers a transformation may not set, add or remove: the filter keeps the
// message's framing consistent itself (it updates content-length when it
// replaces a body).
var framingHeaders = map[string]bool{"content-length": true, "transfer-encoding": true}

// Pseudo-headers a transformation may set, per direction (Envoy accepts
// changes to these; changing others is an error or silently ignored).
var (
	requestSettablePseudo  = map[string]bool{":path": true, ":method": true, ":authority": true, ":scheme": true}
	responseSettablePseudo = map[string]bool{":status": true}
)

// MaxBodyBytesOrDefault returns MaxBodyBytes or the default.
func (t *Transformation) MaxBodyBytesOrDefault() int64 {
	if t.MaxBodyBytes == 0 {
		return DefaultTransformMaxBodyBytes
	}
	return t.MaxBodyBytes
}

// ParseAsJSON reports whether the body is parsed as JSON.
func (b *BodyTransformation) ParseAsJSON() bool { return b != nil && b.ParseAs == BodyParseAsJSON }

// Validate checks the policy and parses every template; errors name the
// field, the header or body, and the template's line:column.
func (t *Transformation) Validate() error {
	if t.MaxBodyBytes < 0 || t.MaxBodyBytes > MaxTransformMaxBodyBytes {
		return fieldErr("maxBodyBytes", "must be between 1 and %d, got %d", MaxTransformMaxBodyBytes, t.MaxBodyBytes)
	}
	if t.Request != nil {
		if err := t.Request.validate(requestSettablePseudo); err != nil {
			return prefixed("request", err)
		}
	}
	if t.Response != nil {
		if err := t.Response.validate(responseSettablePseudo); err != nil {
			return prefixed("response", err)
		}
	}
	return nil
}

func (tr *Transform) validate(settablePseudo map[string]bool) error {
	if tr.Body != nil {
		switch tr.Body.ParseAs {
		case "", BodyParseAsString, BodyParseAsJSON:
		default:
			return fieldErr("body.parseAs", "%q is not one of %s, %s", tr.Body.ParseAs, BodyParseAsString, BodyParseAsJSON)
		}
	}
	for _, list := range []struct {
		field string
		items []HeaderTransformation
	}{{"set", tr.Set}, {"add", tr.Add}} {
		if len(list.items) > MaxHeaderTransformations {
			return fieldErr(list.field, "has %d entries, more than %d", len(list.items), MaxHeaderTransformations)
		}
		seen := map[string]bool{}
		for i, h := range list.items {
			field := fmt.Sprintf("%s[%d]", list.field, i)
			name := strings.ToLower(h.Name)
			if err := checkTransformHeaderName(h.Name); err != nil {
				return fieldErr(field+".name", "%v", err)
			}
			if seen[name] {
				return fieldErr(field+".name", "header %q appears twice in %s", h.Name, list.field)
			}
			seen[name] = true
			if strings.HasPrefix(name, ":") && (list.field == "add" || !settablePseudo[name]) {
				return fieldErr(field+".name", "pseudo-header %q cannot be %s here; settable: %s", h.Name, verb(list.field), keysOf(settablePseudo))
			}
			if err := tr.checkTemplate(field+".value", fmt.Sprintf("header %q", h.Name), h.Value); err != nil {
				return err
			}
		}
	}
	if len(tr.Remove) > MaxHeaderTransformations {
		return fieldErr("remove", "has %d entries, more than %d", len(tr.Remove), MaxHeaderTransformations)
	}
	for i, name := range tr.Remove {
		field := fmt.Sprintf("remove[%d]", i)
		if err := checkTransformHeaderName(name); err != nil {
			return fieldErr(field, "%v", err)
		}
		if strings.HasPrefix(name, ":") {
			return fieldErr(field, "pseudo-header %q cannot be removed", name)
		}
	}
	if tr.Body != nil && tr.Body.Value != nil {
		return tr.checkTemplate("body.value", "body", *tr.Body.Value)
	}
	return nil
}

func verb(field string) string {
	if field == "add" {
		return "added"
	}
	return "set"
}

// checkTemplate parses a template and checks that what it reads is there:
// JSON paths need body.parseAs AsJson.
func (tr *Transform) checkTemplate(field, what, src string) error {
	tmpl, err := template.Parse(src)
	if err != nil {
		return fieldErr(field, "%s: template error at %v", what, err)
	}
	if tmpl.UsesJSONContext() && !tr.Body.ParseAsJSON() {
		return fieldErr(field, "%s: the template reads the JSON body (a path such as user.name, context() or exists()), which needs body.parseAs: %s", what, BodyParseAsJSON)
	}
	return nil
}

func checkTransformHeaderName(name string) error {
	if name == "" {
		return errors.New("is required")
	}
	if len(name) > maxHeaderNameLen {
		return fmt.Errorf("is longer than %d characters", maxHeaderNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if i == 0 && c == ':' && len(name) > 1 {
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return fmt.Errorf("%q is not a valid header name", name)
		}
	}
	if framingHeaders[strings.ToLower(name)] {
		return fmt.Errorf("%q is managed by the filter (it keeps the message framing consistent)", name)
	}
	return nil
}

func keysOf(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// ValidateTransformPlugin checks every policy and that every route and the
// default name an existing policy, in key order (deterministic errors).
func ValidateTransformPlugin(c *PluginConfig[Transformation]) error {
	return validatePlugin(c)
}

// ParseTransformPlugin decodes and validates the transform plugin's
// configuration. Unknown fields are errors (a misspelt field would otherwise
// silently mean its default).
func ParseTransformPlugin(data []byte) (*PluginConfig[Transformation], error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("configuration: is empty; expected a JSON object with policies and routes")
	}
	var c PluginConfig[Transformation]
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if dec.More() {
		return nil, errors.New("configuration: trailing data after the JSON object")
	}
	if err := ValidateTransformPlugin(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

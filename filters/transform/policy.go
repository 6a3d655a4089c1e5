package transform

import (
	"fmt"
	"strings"

	"wasp.dev/filters/config"
	"wasp.dev/filters/transform/template"
)

// policy is a transformation policy with its templates parsed.
type policy struct {
	request, response *transform
}

// transform is one direction's transformation, ready to run.
type transform struct {
	remove   []string
	set, add []headerTemplate
	body     *template.Template // nil: keep the body
	// parseJSON parses the body (parseAs: AsJson).
	parseJSON bool
	// bufferBody holds the headers until the whole body has arrived: there
	// is a body block, or a header template reads the body.
	bufferBody   bool
	maxBodyBytes int
	limits       template.Limits
	scratch      scratch // per-message working memory, reused
}

type headerTemplate struct {
	name string // lower case
	tmpl *template.Template
}

func compilePolicy(p *config.Transformation) (*policy, error) {
	maxBody := int(p.MaxBodyBytesOrDefault())
	var out policy
	var err error
	if p.Request != nil {
		if out.request, err = compileTransform(p.Request, maxBody); err != nil {
			return nil, fmt.Errorf("request.%w", err)
		}
	}
	if p.Response != nil {
		if out.response, err = compileTransform(p.Response, maxBody); err != nil {
			return nil, fmt.Errorf("response.%w", err)
		}
	}
	return &out, nil
}

func compileTransform(t *config.Transform, maxBody int) (*transform, error) {
	tr := &transform{
		maxBodyBytes: maxBody,
		parseJSON:    t.Body.ParseAsJSON(),
		bufferBody:   t.Body != nil,
		// A body template may echo the buffered body a few times over;
		// beyond that it is a runaway template, not a transformation.
		limits: template.Limits{MaxOutputBytes: 2*maxBody + 64<<10, MaxWorkBytes: 8*maxBody + 1<<20},
	}
	for _, name := range t.Remove {
		tr.remove = append(tr.remove, strings.ToLower(name))
	}
	for _, list := range []struct {
		field string
		in    []config.HeaderTransformation
		out   *[]headerTemplate
	}{{"set", t.Set, &tr.set}, {"add", t.Add, &tr.add}} {
		for i, h := range list.in {
			tmpl, err := template.Parse(h.Value)
			if err != nil {
				return nil, fmt.Errorf("%s[%d].value: header %q: template error at %v", list.field, i, h.Name, err)
			}
			tr.bufferBody = tr.bufferBody || tmpl.UsesBody()
			*list.out = append(*list.out, headerTemplate{name: strings.ToLower(h.Name), tmpl: tmpl})
		}
	}
	if t.Body != nil && t.Body.Value != nil {
		tmpl, err := template.Parse(*t.Body.Value)
		if err != nil {
			return nil, fmt.Errorf("body.value: body: template error at %v", err)
		}
		tr.body = tmpl
	}
	return tr, nil
}

package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/internal/admission"
	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/translator"
)

const translateUsage = `Usage: wasp translate -f FILE|DIR [-f ...] [-o yaml|json] [--show xds|ir|status|all]

Reads Kubernetes manifests (Gateway API, TrafficPolicy, HTTPListenerPolicy,
Services, EndpointSlices, Namespaces, kubernetes.io/tls Secrets for HTTPS
listeners, Istio AuthorizationPolicies and ServiceEntries), runs the
controller's translation with
no cluster, and prints the result: the Envoy resources of every proxy (xds,
the default), wasp's IR, or the status the controller would write.
GatewayClasses named by --waypoint-class / --ingress-class that the input
lacks are assumed to exist (the Helm chart creates them).
Private keys are printed only as redacted:sha256:<hash>.
wasp's own CRD objects (TrafficPolicy, HTTPListenerPolicy,
GatewayParameters, WasmFilter) are first checked against the CRDs' OpenAPI
schemas and CEL rules, as the API server would at admission.
Exit status 1 with the reasons when the input is invalid.

Flags:
`

func runTranslate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("translate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files listFlag
	var tf translateFlags
	fs.Var(&files, "f", "manifest file or directory (repeatable)")
	output := fs.String("o", "yaml", "output format: yaml or json")
	show := fs.String("show", "xds", "what to print: xds, ir, status or all")
	tf.register(fs)
	fs.Usage = func() { fmt.Fprint(stderr, translateUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(files) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if *output != "yaml" && *output != "json" {
		fmt.Fprintf(stderr, "wasp translate: -o %q: want yaml or json\n", *output)
		return 2
	}
	// The CRDs' admission rules (OpenAPI + CEL), as kubectl apply would
	// meet them: offline output never accepts what admission rejects.
	admit, err := admission.New()
	if err != nil {
		fmt.Fprintf(stderr, "wasp translate: %v\n", err)
		return 1
	}
	res, err := manifest.LoadPathsAdmitted(admit.Validate, files...)
	if err != nil {
		fmt.Fprintf(stderr, "wasp translate: invalid input:\n%s\n", indent(err.Error()))
		return 1
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(stderr, "wasp translate: skipped %s\n", s)
	}
	opts := tf.options()
	assumeClasses(&res.Input, opts)
	out := translate.Translate(&res.Input, opts)

	doc, err := render(out, *show)
	if err != nil {
		fmt.Fprintf(stderr, "wasp translate: %s\n", indent(err.Error()))
		return 1
	}
	b, err := yaml.Marshal(doc)
	if err == nil && *output == "json" {
		b, err = yaml.YAMLToJSON(b)
		if err == nil {
			var buf bytes.Buffer
			if err = jsonIndent(&buf, b); err == nil {
				b = buf.Bytes()
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "wasp translate: %v\n", err)
		return 1
	}
	stdout.Write(b)
	return 0
}

// render selects what to print. xds translates every proxy; a proxy that
// fails makes the command fail (the controller would keep its last good
// snapshot and report the error).
func render(out *translate.Output, show string) (any, error) {
	switch show {
	case "ir":
		return out.IR, nil
	case "status":
		return out.Status, nil
	case "xds", "all":
	default:
		return nil, fmt.Errorf("--show %q: want xds, ir, status or all", show)
	}
	var proxies []any
	var errs []error
	for _, p := range out.IR.Proxies {
		r, err := translator.Translate(p, translator.Options{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		y, err := r.YAML()
		if err != nil {
			errs = append(errs, fmt.Errorf("proxy %s: %w", p.Name, err))
			continue
		}
		var v map[string]any
		if err := yaml.Unmarshal(y, &v); err != nil {
			return nil, err
		}
		proxies = append(proxies, map[string]any{"node": p.Name, "kind": p.Kind, "resources": v})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if show == "xds" {
		return map[string]any{"proxies": proxies}, nil
	}
	return map[string]any{"xds": proxies, "ir": out.IR, "status": out.Status}, nil
}

// assumeClasses adds the configured GatewayClasses the input lacks, as the
// chart would have created them, so a single seed manifest translates.
func assumeClasses(in *translate.Input, o translate.Options) {
	have := map[string]bool{}
	for _, c := range in.GatewayClasses {
		have[c.Name] = true
	}
	add := func(name string, waypoint bool) {
		if have[name] {
			return
		}
		have[name] = true
		c := &gwv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(o.ControllerName)},
		}
		if waypoint {
			c.Annotations = map[string]string{translate.AnnotationWaypointInboundBinding: translate.WaypointInboundBinding}
		}
		in.GatewayClasses = append(in.GatewayClasses, c)
	}
	for _, n := range o.WaypointClasses {
		add(n, true)
	}
	for _, n := range o.IngressClasses {
		add(n, false)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

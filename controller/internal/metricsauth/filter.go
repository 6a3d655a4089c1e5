// Package metricsauth guards the exposed metrics endpoint: a caller must
// present a bearer token the API server authenticates (TokenReview) and
// authorizes for the request path (SubjectAccessReview, non-resource URL,
// e.g. `get /metrics`), as a kube-rbac-proxy would. It is wasp's own small
// filter rather than controller-runtime's pkg/metrics/filters, which
// pulls k8s.io/apiserver and its OpenTelemetry and CEL dependencies into
// the binary (docs/security.md "Metrics").
package metricsauth

import (
	"net/http"
	"strings"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"wasp.dev/controller/internal/scheme"
)

// Provider is a metricsserver.Options.FilterProvider.
func Provider(c *rest.Config, hc *http.Client) (metricsserver.Filter, error) {
	cl, err := client.New(c, client.Options{HTTPClient: hc, Scheme: scheme.New()})
	if err != nil {
		return nil, err
	}
	return func(log logr.Logger, h http.Handler) (http.Handler, error) {
		return &filter{client: cl, log: log, next: h}, nil
	}, nil
}

type filter struct {
	client client.Client
	log    logr.Logger
	next   http.Handler
}

func (f *filter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		http.Error(w, "a bearer token is required", http.StatusUnauthorized)
		return
	}
	tr := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}
	if err := f.client.Create(r.Context(), tr); err != nil {
		f.log.Error(err, "metrics: TokenReview")
		http.Error(w, "cannot review the token", http.StatusInternalServerError)
		return
	}
	if !tr.Status.Authenticated {
		http.Error(w, "token not authenticated", http.StatusUnauthorized)
		return
	}
	u := tr.Status.User
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range u.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: r.URL.Path, Verb: strings.ToLower(r.Method)},
	}}
	if err := f.client.Create(r.Context(), sar); err != nil {
		f.log.Error(err, "metrics: SubjectAccessReview")
		http.Error(w, "cannot review the access", http.StatusInternalServerError)
		return
	}
	if !sar.Status.Allowed {
		http.Error(w, u.Username+" may not "+strings.ToLower(r.Method)+" "+r.URL.Path, http.StatusForbidden)
		return
	}
	f.next.ServeHTTP(w, r)
}

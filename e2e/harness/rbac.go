package harness

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// supplementName names the ClusterRole (and binding) the harness adds when
// the chart grants less than the controller declares it needs.
const supplementName = "wasp-e2e-missing-rbac"

// MissingRBAC asks the API server (SubjectAccessReview) whether the
// ServiceAccount may do every verb the controller's generated role
// (controller/config/rbac/role.yaml, from its kubebuilder markers)
// declares, and returns the rules it may not, one verb each.
func (a *APIServer) MissingRBAC(ctx context.Context, roleFile, ns, sa string) ([]rbacv1.PolicyRule, error) {
	b, err := os.ReadFile(roleFile)
	if err != nil {
		return nil, err
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(b, &role); err != nil {
		return nil, fmt.Errorf("%s: %w", roleFile, err)
	}
	cs, err := kubernetes.NewForConfig(a.Config)
	if err != nil {
		return nil, err
	}
	user := "system:serviceaccount:" + ns + ":" + sa
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	var missing []rbacv1.PolicyRule
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				resource, sub, _ := strings.Cut(res, "/")
				for _, verb := range r.Verbs {
					sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
						User: user, Groups: groups,
						ResourceAttributes: &authorizationv1.ResourceAttributes{Group: g, Resource: resource, Subresource: sub, Verb: verb},
					}}
					if resource == "leases" {
						sar.Spec.ResourceAttributes.Namespace = ns // leader election is namespaced
					}
					got, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
					if err != nil {
						return nil, err
					}
					if !got.Status.Allowed {
						missing = append(missing, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{verb}})
					}
				}
			}
		}
	}
	sort.Slice(missing, func(i, j int) bool { return FormatRule(missing[i]) < FormatRule(missing[j]) })
	return missing, nil
}

// FormatRule prints a one-verb rule as verb group/resource.
func FormatRule(r rbacv1.PolicyRule) string {
	g := r.APIGroups[0]
	if g == "" {
		g = "core"
	}
	return r.Verbs[0] + " " + g + "/" + r.Resources[0]
}

// GrantRBAC binds a supplementary ClusterRole with rules to the
// ServiceAccount, so the rest of a run can proceed past a chart RBAC gap
// (which the caller reports).
func (a *APIServer) GrantRBAC(ctx context.Context, rules []rbacv1.PolicyRule, ns, sa string) error {
	cs, err := kubernetes.NewForConfig(a.Config)
	if err != nil {
		return err
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: supplementName}, Rules: rules}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: supplementName},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: supplementName},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}},
	}
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
	return err
}

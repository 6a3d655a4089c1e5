package controller

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/translate"
)

func TestMarkUnprogrammed(t *testing.T) {
	out := &translate.Output{Status: translate.Status{Gateways: []translate.GatewayStatus{
		{Namespace: "a", Name: "bad", Status: gwv1.GatewayStatus{Conditions: []metav1.Condition{
			{Type: "Accepted", Status: "True", Reason: "Accepted"}, {Type: "Programmed", Status: "True", Reason: "Programmed"}}}},
		{Namespace: "a", Name: "good", Status: gwv1.GatewayStatus{Conditions: []metav1.Condition{
			{Type: "Programmed", Status: "True", Reason: "Programmed"}}}},
	}}}
	markUnprogrammed(out, map[string]error{"a/bad": errors.New("cluster x: invalid")})
	bad := out.Status.Gateways[0].Status.Conditions
	if bad[0].Status != "True" || bad[1].Status != "False" || bad[1].Reason != "Invalid" || !strings.Contains(bad[1].Message, "cluster x: invalid") {
		t.Errorf("bad gateway: %+v", bad)
	}
	if out.Status.Gateways[1].Status.Conditions[0].Status != "True" {
		t.Error("good gateway changed")
	}
}

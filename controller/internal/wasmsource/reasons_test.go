package wasmsource

import (
	"testing"

	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
)

// TestReasonsMatchTheAPI: the reasons Fetch returns are the WasmFilter
// status reasons, so the controller can copy them through.
func TestReasonsMatchTheAPI(t *testing.T) {
	for got, want := range map[Reason]string{
		ReasonFetchFailed:    waspv1alpha1.ReasonFetchFailed,
		ReasonFetchRefused:   waspv1alpha1.ReasonFetchRefused,
		ReasonDigestMismatch: waspv1alpha1.ReasonDigestMismatch,
		ReasonTooLarge:       waspv1alpha1.ReasonTooLarge,
		ReasonInvalidModule:  waspv1alpha1.ReasonInvalidModule,
	} {
		if string(got) != want {
			t.Errorf("%s != API reason %s", got, want)
		}
	}
}

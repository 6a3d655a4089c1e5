package limiter

import "testing"

func TestSamplerShares(t *testing.T) {
	for _, p := range []int32{0, 1, 33, 50, 99, 100} {
		e := Sampler{Percent: p}
		enforced := 0
		for i := 0; i < 1000; i++ {
			if e.Sample() {
				enforced++
			}
		}
		if want := int(p) * 10; enforced != want {
			t.Errorf("percent %d: picked %d of 1000, want %d", p, enforced, want)
		}
	}
	e := Sampler{Percent: 50}
	got := []bool{e.Sample(), e.Sample(), e.Sample(), e.Sample()}
	if got[0] || !got[1] || got[2] || !got[3] {
		t.Fatalf("50%% pattern %v, want pass, reject, pass, reject", got)
	}
}

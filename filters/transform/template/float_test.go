package template

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendShortDecimal is a shortcut for strconv's shortest formatting: where
// it answers, it must answer the same.
func TestShortDecimalMatchesStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(f float64) {
		got, ok := appendShortDecimal(nil, f)
		if want := strconv.AppendFloat(nil, f, 'g', -1, 64); ok && string(got) != string(want) {
			t.Fatalf("%v: got %s, strconv %s", f, got, want)
		}
	}
	for i := 0; i < 200000; i++ {
		check(float64(rng.IntN(2_000_000_000)-1_000_000_000) / math.Pow(10, float64(rng.IntN(9))))
		check((rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(14)-6)))
	}
	for _, f := range []float64{1e-4, 9.999e-5, 1e6, 999999.9999999999, 0.1 + 0.2, 1.25, -2.5, 0.3, 123456.123456} {
		check(f)
	}
}

package translator

import (
	"fmt"
	"regexp/syntax"
)

// maxRegexProgramSize is Envoy's default for the runtime key
// re2.max_program_size.error_level: a safe_regex whose compiled RE2
// program is larger fails the whole config load, and Envoy's docs leave
// that check to the management server. Go's regexp compiler is RE2's
// design and counts instructions nearly the same way.
const maxRegexProgramSize = 100

// checkRegex accepts what Envoy's RE2 accepts within its program size.
func checkRegex(re string) error {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return fmt.Errorf("regex %q: %w", re, err)
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return fmt.Errorf("regex %q: %w", re, err)
	}
	if n := len(prog.Inst); n > maxRegexProgramSize {
		return fmt.Errorf("regex %q: compiles to %d instructions, above Envoy's limit of %d (re2.max_program_size.error_level)", re, n, maxRegexProgramSize)
	}
	return nil
}

package format

import (
	"fmt"
	"strconv"
	"time"
)

// defaultStartTime is Envoy's format for %START_TIME% without an argument:
// ISO 8601 in UTC with milliseconds ("2025-04-10T18:36:34.047Z").
const defaultStartTime = "%Y-%m-%dT%H:%M:%E3SZ"

// timeLayout is a strftime-style layout compiled once. Envoy formats with
// absl::FormatTime plus its own fractional-second extensions (%E<n>S, %<n>f,
// %f, %s); times print in UTC.
type timeLayout []timeStep

type timeStep struct {
	verb byte   // 0 = literal
	lit  string // literal text
	n    int    // fraction digits for 'S' (%E<n>S) and 'f' (%<n>f)
}

// compileTimeLayout rejects specifiers it cannot print, so a typo fails at
// plugin start instead of printing garbage.
func compileTimeLayout(layout string) (timeLayout, error) {
	var steps timeLayout
	lit := func(s string) {
		if n := len(steps); n > 0 && steps[n-1].verb == 0 {
			steps[n-1].lit += s
			return
		}
		steps = append(steps, timeStep{lit: s})
	}
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c != '%' {
			lit(string(c))
			continue
		}
		if i+1 >= len(layout) {
			return nil, fmt.Errorf("time format %q ends with a lone %%", layout)
		}
		i++
		switch v := layout[i]; v {
		case '%':
			lit("%")
		case 'n':
			lit("\n")
		case 't':
			lit("\t")
		case 'Y', 'm', 'd', 'H', 'M', 'S', 'y', 'j', 'e', 'a', 'A', 'b', 'h', 'B', 'p', 'I', 'z', 'Z', 's', 'T', 'F', 'D', 'R':
			steps = append(steps, timeStep{verb: v})
		case 'f':
			steps = append(steps, timeStep{verb: 'f', n: 9})
		case 'E':
			// %E<n>S: seconds with n fraction digits; %E*S: as many as needed.
			if i+2 >= len(layout) || layout[i+2] != 'S' {
				return nil, fmt.Errorf("time format %q: unsupported specifier %%E at %d", layout, i-1)
			}
			d := layout[i+1]
			switch {
			case d == '*':
				steps = append(steps, timeStep{verb: 'S', n: -1})
			case d >= '0' && d <= '9':
				steps = append(steps, timeStep{verb: 'S', n: int(d - '0')})
			default:
				return nil, fmt.Errorf("time format %q: unsupported specifier %%E%c at %d", layout, d, i-1)
			}
			i += 2
		case '1', '2', '3', '4', '5', '6', '7', '8', '9':
			if i+1 >= len(layout) || layout[i+1] != 'f' {
				return nil, fmt.Errorf("time format %q: unsupported specifier %%%c at %d", layout, v, i-1)
			}
			steps = append(steps, timeStep{verb: 'f', n: int(v - '0')})
			i++
		default:
			return nil, fmt.Errorf("time format %q: unsupported specifier %%%c at %d", layout, v, i-1)
		}
	}
	return steps, nil
}

// appendPad appends v in decimal, zero-padded to width, without allocating.
func appendPad(dst []byte, v, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	for n := len(buf) - i; n < width; n++ {
		dst = append(dst, '0')
	}
	return append(dst, buf[i:]...)
}

// appendFraction appends the first n digits of the nanoseconds (n < 0: a
// dot and all significant digits, nothing when zero).
func appendFraction(dst []byte, nanos, n int) []byte {
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + nanos%10)
		nanos /= 10
	}
	if n < 0 {
		end := len(digits)
		for end > 0 && digits[end-1] == '0' {
			end--
		}
		if end == 0 {
			return dst
		}
		return append(append(dst, '.'), digits[:end]...)
	}
	return append(dst, digits[:n]...)
}

func (l timeLayout) append(dst []byte, t time.Time) []byte {
	t = t.UTC()
	// Date and Clock each derive the calendar from the instant once;
	// calling Year, Month, Day... separately would redo it per specifier.
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	for _, s := range l {
		switch s.verb {
		case 0:
			dst = append(dst, s.lit...)
		case 'Y':
			dst = appendPad(dst, year, 4)
		case 'y':
			dst = appendPad(dst, year%100, 2)
		case 'm':
			dst = appendPad(dst, int(month), 2)
		case 'd':
			dst = appendPad(dst, day, 2)
		case 'e':
			if day < 10 {
				dst = append(dst, ' ')
			}
			dst = strconv.AppendInt(dst, int64(day), 10)
		case 'j':
			dst = appendPad(dst, t.YearDay(), 3)
		case 'H':
			dst = appendPad(dst, hour, 2)
		case 'I':
			h := hour % 12
			if h == 0 {
				h = 12
			}
			dst = appendPad(dst, h, 2)
		case 'p':
			if hour < 12 {
				dst = append(dst, "AM"...)
			} else {
				dst = append(dst, "PM"...)
			}
		case 'M':
			dst = appendPad(dst, minute, 2)
		case 'S':
			dst = appendPad(dst, second, 2)
			if s.n > 0 {
				dst = appendFraction(append(dst, '.'), t.Nanosecond(), s.n)
			} else if s.n < 0 {
				dst = appendFraction(dst, t.Nanosecond(), -1)
			}
		case 'f':
			dst = appendFraction(dst, t.Nanosecond(), s.n)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'a':
			dst = append(dst, t.Weekday().String()[:3]...)
		case 'A':
			dst = append(dst, t.Weekday().String()...)
		case 'b', 'h':
			dst = append(dst, month.String()[:3]...)
		case 'B':
			dst = append(dst, month.String()...)
		case 'z':
			dst = append(dst, "+0000"...)
		case 'Z':
			dst = append(dst, "UTC"...)
		case 'T':
			dst = appendPad(append(appendPad(append(appendPad(dst, hour, 2), ':'), minute, 2), ':'), second, 2)
		case 'R':
			dst = appendPad(append(appendPad(dst, hour, 2), ':'), minute, 2)
		case 'F':
			dst = appendPad(append(appendPad(append(appendPad(dst, year, 4), '-'), int(month), 2), '-'), day, 2)
		case 'D':
			dst = appendPad(append(appendPad(append(appendPad(dst, int(month), 2), '/'), day, 2), '/'), year%100, 2)
		}
	}
	return dst
}

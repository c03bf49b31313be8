package classify

import (
	"strconv"
	"strings"
)

// reasonStream passes on only the "reason" string of a JSON reply as it streams in, so a chat shows the
// model's explanation rather than raw JSON. It tolerates any chunking of the reply.
type reasonStream struct {
	out     func(string)
	buf     strings.Builder // everything received
	pos     int             // next byte of buf to examine
	state   int             // 0: looking for the key, 1: in the value, 2: done
	escaped bool
	uni     []byte // a \uXXXX escape in progress
}

const reasonKey = `"reason"`

func (r *reasonStream) write(chunk string) {
	r.buf.WriteString(chunk)
	s := r.buf.String()
	var out strings.Builder
	for r.pos < len(s) && r.state < 2 {
		if r.state == 0 {
			k := strings.Index(s[r.pos:], reasonKey)
			if k < 0 {
				if len(s)-len(reasonKey) > r.pos {
					r.pos = len(s) - len(reasonKey)
				}
				return
			}
			rest := s[r.pos+k+len(reasonKey):]
			colon := strings.IndexByte(rest, ':')
			quote := strings.IndexByte(rest, '"')
			if colon < 0 || quote < 0 || quote < colon {
				return // the value has not started yet
			}
			r.pos += k + len(reasonKey) + quote + 1
			r.state = 1
			continue
		}
		c := s[r.pos]
		r.pos++
		switch {
		case r.uni != nil:
			r.uni = append(r.uni, c)
			if len(r.uni) == 4 {
				if v, err := strconv.ParseUint(string(r.uni), 16, 32); err == nil {
					out.WriteRune(rune(v))
				}
				r.uni = nil
			}
		case r.escaped:
			r.escaped = false
			switch c {
			case 'n':
				out.WriteByte('\n')
			case 't':
				out.WriteByte('\t')
			case 'u':
				r.uni = []byte{}
			default:
				out.WriteByte(c)
			}
		case c == '\\':
			r.escaped = true
		case c == '"':
			r.state = 2
		default:
			out.WriteByte(c)
		}
	}
	if out.Len() > 0 {
		r.out(out.String())
	}
}

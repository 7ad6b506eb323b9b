package candid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNum   // integer literal, possibly signed, possibly hex, with '_'
	tFloat // decimal literal with a fraction or an exponent
	tText  // string literal; val holds the decoded bytes
	tPunct // one of ( ) { } ; : , = . -> == != !:
)

type token struct {
	kind tokKind
	val  string
	pos  int // byte offset in the source
}

type lexer struct {
	src  string
	pos  int
	toks []token
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src}
	for {
		if err := l.space(); err != nil {
			return nil, err
		}
		if l.pos >= len(l.src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: l.pos})
			return l.toks, nil
		}
		if err := l.next(); err != nil {
			return nil, fmt.Errorf("%s: %w", l.where(l.pos), err)
		}
	}
}

func (l *lexer) where(pos int) string {
	line := 1 + strings.Count(l.src[:min(pos, len(l.src))], "\n")
	return fmt.Sprintf("line %d", line)
}

func (l *lexer) space() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.pos++
		case strings.HasPrefix(l.src[l.pos:], "//"):
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			depth := 0
			for {
				if l.pos >= len(l.src) {
					return errors.New("unterminated comment")
				}
				if strings.HasPrefix(l.src[l.pos:], "/*") {
					depth++
					l.pos += 2
				} else if strings.HasPrefix(l.src[l.pos:], "*/") {
					depth--
					l.pos += 2
					if depth == 0 {
						break
					}
				} else {
					l.pos++
				}
			}
		default:
			return nil
		}
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func (l *lexer) next() error {
	start := l.pos
	c := l.src[l.pos]
	emit := func(k tokKind, v string) { l.toks = append(l.toks, token{kind: k, val: v, pos: start}) }
	switch {
	case isIdentStart(c):
		for l.pos < len(l.src) && (isIdentStart(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		emit(tIdent, l.src[start:l.pos])
		return nil
	case (c == '-' || c == '+') && strings.HasPrefix(l.src[l.pos+1:], "inf"):
		l.pos += 4
		emit(tFloat, l.src[start:l.pos])
		return nil
	case isDigit(c) || ((c == '-' || c == '+') && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1])):
		return l.number()
	case c == '"':
		s, err := l.text()
		if err != nil {
			return err
		}
		emit(tText, s)
		return nil
	}
	for _, p := range []string{"->", "==", "!=", "!:", "(", ")", "{", "}", ";", ":", ",", "=", "."} {
		if strings.HasPrefix(l.src[l.pos:], p) {
			l.pos += len(p)
			emit(tPunct, p)
			return nil
		}
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return fmt.Errorf("unexpected character %q", r)
}

func (l *lexer) number() error {
	start := l.pos
	if c := l.src[l.pos]; c == '-' || c == '+' {
		l.pos++
	}
	if strings.HasPrefix(l.src[l.pos:], "0x") || strings.HasPrefix(l.src[l.pos:], "0X") {
		l.pos += 2
		digits := l.pos
		for l.pos < len(l.src) && (isHex(l.src[l.pos]) || l.src[l.pos] == '_') {
			l.pos++
		}
		if l.pos == digits {
			return errors.New("hex literal without digits")
		}
		l.toks = append(l.toks, token{kind: tNum, val: l.src[start:l.pos], pos: start})
		return nil
	}
	digits := func() {
		for l.pos < len(l.src) && (isDigit(l.src[l.pos]) || l.src[l.pos] == '_') {
			l.pos++
		}
	}
	digits()
	kind := tNum
	// A fraction: "3." and "3.5" (but not "3..", and not a method dot
	// followed by a name, which cannot follow a number anyway).
	if l.pos < len(l.src) && l.src[l.pos] == '.' && !(l.pos+1 < len(l.src) && isIdentStart(l.src[l.pos+1])) {
		kind = tFloat
		l.pos++
		digits()
	}
	if l.pos < len(l.src) && (l.src[l.pos] == 'e' || l.src[l.pos] == 'E') {
		save := l.pos
		l.pos++
		if l.pos < len(l.src) && (l.src[l.pos] == '+' || l.src[l.pos] == '-') {
			l.pos++
		}
		if l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			kind = tFloat
			digits()
		} else {
			l.pos = save
		}
	}
	l.toks = append(l.toks, token{kind: kind, val: l.src[start:l.pos], pos: start})
	return nil
}

// text reads a string literal. The result may hold any bytes (\xx escapes);
// callers that need text check it is UTF-8.
func (l *lexer) text() (string, error) {
	l.pos++ // opening quote
	var b strings.Builder
	for {
		if l.pos >= len(l.src) {
			return "", errors.New("unterminated string literal")
		}
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return b.String(), nil
		case c == '\\':
			if l.pos+1 >= len(l.src) {
				return "", errors.New("unterminated escape")
			}
			e := l.src[l.pos+1]
			l.pos += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '\'':
				b.WriteByte(e)
			case 'u':
				if l.pos >= len(l.src) || l.src[l.pos] != '{' {
					return "", errors.New(`\u escape without '{'`)
				}
				end := strings.IndexByte(l.src[l.pos:], '}')
				if end < 0 {
					return "", errors.New(`unclosed \u{...} escape`)
				}
				hex := strings.ReplaceAll(l.src[l.pos+1:l.pos+end], "_", "")
				l.pos += end + 1
				n, err := strconv.ParseUint(hex, 16, 32)
				if err != nil || hex == "" || n > utf8.MaxRune || (n >= 0xd800 && n < 0xe000) {
					return "", fmt.Errorf(`bad \u escape %q`, hex)
				}
				b.WriteRune(rune(n))
			default:
				if isHex(e) && l.pos < len(l.src) && isHex(l.src[l.pos]) {
					n, _ := strconv.ParseUint(string([]byte{e, l.src[l.pos]}), 16, 8)
					l.pos++
					b.WriteByte(byte(n))
					continue
				}
				return "", fmt.Errorf("unknown escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
}

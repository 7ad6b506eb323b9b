package candid

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// maxPretty is how deep values print in the spaced form, and how many
// vector elements; deeper or longer parts print compactly, as dfx does.
const maxPretty = 10

// FormatArgs prints values of the given types as a textual argument
// sequence, the way dfx prints a reply:
// `(record { amount = 10 : nat; to = principal "aaaaa-aa" })`.
func FormatArgs(types []*Type, values []Value) string {
	var b strings.Builder
	b.WriteString("(")
	for i := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		var t *Type
		if i < len(types) {
			t = types[i]
		}
		formatValue(&b, t, values[i], maxPretty)
	}
	b.WriteString(")")
	return b.String()
}

// FormatValue prints one value of type t in the textual syntax.
func FormatValue(t *Type, v Value) string {
	var b strings.Builder
	formatValue(&b, t, v, maxPretty)
	return b.String()
}

// annotated reports whether the printed value carries a type annotation.
func annotated(t *Type, v Value) bool {
	switch v.(type) {
	case *big.Int, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float32, float64, Null, Reserved:
		return true
	}
	return false
}

// ppNum inserts '_' every three digits, as Candid's printer does.
func ppNum(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('_')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'f', -1, bits)
	if math.Trunc(f) == f && !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func formatValue(b *strings.Builder, t *Type, v Value, depth int) {
	compact := depth <= 0
	switch x := v.(type) {
	case Null:
		b.WriteString("null : null")
	case Reserved:
		b.WriteString("null : reserved")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case *big.Int:
		b.WriteString(ppNum(x.String()))
		if t != nil && t.Kind == KindInt {
			b.WriteString(" : int")
		} else if t != nil && t.Kind == KindNat {
			b.WriteString(" : nat")
		} else if x.Sign() < 0 {
			b.WriteString(" : int")
		} else {
			b.WriteString(" : nat")
		}
	case uint8:
		fmt.Fprintf(b, "%d : nat8", x)
	case uint16:
		fmt.Fprintf(b, "%s : nat16", ppNum(strconv.FormatUint(uint64(x), 10)))
	case uint32:
		fmt.Fprintf(b, "%s : nat32", ppNum(strconv.FormatUint(uint64(x), 10)))
	case uint64:
		fmt.Fprintf(b, "%s : nat64", ppNum(strconv.FormatUint(x, 10)))
	case int8:
		fmt.Fprintf(b, "%d : int8", x)
	case int16:
		fmt.Fprintf(b, "%s : int16", ppNum(strconv.FormatInt(int64(x), 10)))
	case int32:
		fmt.Fprintf(b, "%s : int32", ppNum(strconv.FormatInt(int64(x), 10)))
	case int64:
		fmt.Fprintf(b, "%s : int64", ppNum(strconv.FormatInt(x, 10)))
	case float32:
		b.WriteString(formatFloat(float64(x), 32))
		b.WriteString(" : float32")
	case float64:
		b.WriteString(formatFloat(x, 64))
		b.WriteString(" : float64")
	case string:
		b.WriteString(quoteText(x))
	case principal.Principal:
		fmt.Fprintf(b, "principal %q", x.String())
	case ServiceRef:
		fmt.Fprintf(b, "service %q", x.ID.String())
	case FuncRef:
		fmt.Fprintf(b, "func %q.%s", x.Service.String(), identString(x.Method))
	case Opt:
		if x.Value == nil {
			b.WriteString("null")
			return
		}
		var et *Type
		if t != nil && t.Kind == KindOpt {
			et = t.Elem
		}
		if annotated(et, x.Value) {
			b.WriteString("opt (")
			formatValue(b, et, x.Value, depth-1)
			b.WriteString(")")
			return
		}
		b.WriteString("opt ")
		formatValue(b, et, x.Value, depth-1)
	case []byte:
		formatBlob(b, x)
	case []Value:
		var et *Type
		if t != nil && t.Kind == KindVec {
			et = t.Elem
		}
		if compact || len(x) > maxPretty {
			b.WriteString("vec {")
			for _, e := range x {
				b.WriteString(" ")
				formatValue(b, et, e, 0)
				b.WriteString(";")
			}
			b.WriteString("}")
			return
		}
		b.WriteString("vec {")
		for i, e := range x {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			formatValue(b, et, e, depth-1)
		}
		if len(x) > 0 {
			b.WriteString(" ")
		}
		b.WriteString("}")
	case Record:
		tuple := len(x.Fields) > 0
		for i, f := range x.Fields {
			if f.ID != uint32(i) {
				tuple = false
			}
		}
		b.WriteString("record {")
		for i, f := range x.Fields {
			ft := fieldType(t, f.ID)
			if !compact && i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			if !tuple {
				b.WriteString(fieldLabel(t, f.ID, f.Name))
				b.WriteString(" = ")
			}
			formatValue(b, ft, f.Value, depth-1)
			if compact {
				b.WriteString(";")
			}
		}
		if !compact && len(x.Fields) > 0 {
			b.WriteString(" ")
		}
		b.WriteString("}")
	case Variant:
		b.WriteString("variant { ")
		b.WriteString(fieldLabel(t, x.ID, x.Name))
		if _, isNull := x.Value.(Null); !isNull {
			b.WriteString(" = ")
			formatValue(b, fieldType(t, x.ID), x.Value, depth-1)
		}
		b.WriteString(" }")
	default:
		fmt.Fprintf(b, "<%T>", v)
	}
}

func fieldType(t *Type, id uint32) *Type {
	if t == nil {
		return nil
	}
	if f, ok := t.Field(id); ok {
		return f.Type
	}
	return nil
}

func fieldLabel(t *Type, id uint32, name string) string {
	if name == "" && t != nil {
		if f, ok := t.Field(id); ok {
			name = f.Name
		}
	}
	if name != "" {
		return identString(name)
	}
	return strconv.FormatUint(uint64(id), 10)
}

func formatBlob(b *strings.Builder, x []byte) {
	b.WriteString(`blob "`)
	ascii := true
	for _, c := range x {
		if !(c >= 0x20 && c <= 0x7e) && c != 0x09 && c != 0x0a && c != 0x0d {
			ascii = false
			break
		}
	}
	const hexdigits = "0123456789abcdef"
	for _, c := range x {
		if ascii && c >= 0x20 && c <= 0x7e && c != '"' && c != '\'' && c != '`' && c != '\\' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('\\')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	b.WriteString(`"`)
}

// quoteText prints text as a string literal, escaping like Rust's
// escape_debug (which Candid's printer uses).
func quoteText(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
				fmt.Fprintf(&b, `\u{%x}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

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

// lineWidth is the width the printer fits values into, as dfx does.
const lineWidth = 80

// FormatArgs prints values of the given types as a textual argument
// sequence, the way dfx prints a reply: on one line when it fits 80
// columns, as `(record { amount = 10 : nat; to = principal "aaaaa-aa" })`,
// otherwise broken over indented lines with trailing separators.
func FormatArgs(types []*Type, values []Value) string {
	docs := make([]*doc, len(values))
	for i := range values {
		var t *Type
		if i < len(types) {
			t = types[i]
		}
		docs[i] = ppValue(t, values[i], maxPretty)
	}
	return render(enclose("(", concatSep(docs, ","), ")"), lineWidth)
}

// FormatValue prints one value of type t in the textual syntax.
func FormatValue(t *Type, v Value) string {
	return render(ppValue(t, v, maxPretty), lineWidth)
}

func ppValue(t *Type, v Value, depth int) *doc {
	if depth <= 0 {
		var b strings.Builder
		formatValue(&b, t, v, 0)
		return text(b.String())
	}
	switch x := v.(type) {
	case string:
		return text(quoteText(x, true))
	case Opt:
		if x.Value == nil {
			return text("null")
		}
		et := elemType(t, KindOpt)
		if annotated(et, x.Value) {
			return cat(text("opt "), enclose("(", ppValue(et, x.Value, depth-1), ")"))
		}
		return cat(text("opt "), ppValue(et, x.Value, depth-1))
	case []Value:
		if len(x) > maxPretty {
			break
		}
		et := elemType(t, KindVec)
		ds := make([]*doc, len(x))
		for i, e := range x {
			ds[i] = ppValue(et, e, depth-1)
		}
		return cat(text("vec "), encloseSpace("{", concatSep(ds, ";"), "}"))
	case Record:
		tuple := len(x.Fields) > 0
		for i, f := range x.Fields {
			if f.ID != uint32(i) {
				tuple = false
			}
		}
		ds := make([]*doc, len(x.Fields))
		for i, f := range x.Fields {
			val := ppValue(fieldType(t, f.ID), f.Value, depth-1)
			if tuple {
				ds[i] = val
			} else {
				ds[i] = cat(text(fieldLabel(t, f.ID, f.Name)+" = "), val)
			}
		}
		return cat(text("record "), encloseSpace("{", concatSep(ds, ";"), "}"))
	case Variant:
		field := text(fieldLabel(t, x.ID, x.Name))
		if _, isNull := x.Value.(Null); !isNull {
			field = cat(field, text(" = "), ppValue(fieldType(t, x.ID), x.Value, depth-1))
		}
		return cat(text("variant "), encloseSpace("{", field, "}"))
	}
	var b strings.Builder
	formatValue(&b, t, v, 0)
	return text(b.String())
}

func elemType(t *Type, k Kind) *Type {
	if t != nil && t.Kind == k {
		return t.Elem
	}
	return nil
}

// formatValue prints a value in the compact form Candid's printer uses
// below the pretty-printing depth and for long vectors.
func formatValue(b *strings.Builder, t *Type, v Value, depth int) {
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
		b.WriteString(quoteText(x, false))
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
		et := elemType(t, KindOpt)
		if annotated(et, x.Value) {
			b.WriteString("opt (")
			formatValue(b, et, x.Value, 0)
			b.WriteString(")")
			return
		}
		b.WriteString("opt ")
		formatValue(b, et, x.Value, 0)
	case []byte:
		formatBlob(b, x)
	case []Value:
		et := elemType(t, KindVec)
		b.WriteString("vec {")
		for _, e := range x {
			b.WriteString(" ")
			formatValue(b, et, e, 0)
			b.WriteString(";")
		}
		b.WriteString("}")
	case Record:
		b.WriteString("record {")
		for i, f := range x.Fields {
			b.WriteString(" ")
			if f.ID != uint32(i) {
				b.WriteString(fieldLabel(t, f.ID, f.Name))
				b.WriteString(" = ")
			}
			formatValue(b, fieldType(t, f.ID), f.Value, 0)
			b.WriteString(";")
		}
		b.WriteString("}")
	case Variant:
		b.WriteString("variant { ")
		b.WriteString(fieldLabel(t, x.ID, x.Name))
		if _, isNull := x.Value.(Null); !isNull {
			b.WriteString(" = ")
			formatValue(b, fieldType(t, x.ID), x.Value, 0)
		}
		b.WriteString(" }")
	default:
		fmt.Fprintf(b, "<%T>", v)
	}
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
	return ppNum(strconv.FormatUint(uint64(id), 10))
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

// quoteText prints text as a string literal, escaping as Candid's printer
// does (Rust's escape_debug; single quotes are escaped only when single is
// set, as in the spaced form).
func quoteText(s string, single bool) string {
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
			if single {
				b.WriteString(`\'`)
			} else {
				b.WriteByte('\'')
			}
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

// A doc is a layout: text, line breaks that become a space (or nothing)
// when their group fits on the line, indentation and groups, after Wadler's
// "prettier printer" as used by Candid's Rust printer.
type doc struct {
	kind  docKind
	text  string
	kids  []*doc // docCat
	a, b  *doc   // docNest, docGroup: a; docAlt: a when broken, b when flat
	width int    // docText: its width in characters
}

type docKind uint8

const (
	docText  docKind = iota
	docLine          // a space when flat
	docLine0         // nothing when flat
	docCat
	docNest
	docGroup
	docAlt
)

const indentSpace = 2

func text(s string) *doc {
	return &doc{kind: docText, text: s, width: utf8.RuneCountInString(s)}
}

func cat(ds ...*doc) *doc { return &doc{kind: docCat, kids: ds} }

func isEmptyDoc(d *doc) bool { return d == nil || (d.kind == docCat && len(d.kids) == 0) }

// concatSep puts sep after every element but the last when flat, and after
// every element when broken over lines.
func concatSep(ds []*doc, sep string) *doc {
	if len(ds) == 0 {
		return cat()
	}
	var parts []*doc
	for i, d := range ds {
		if i > 0 {
			parts = append(parts, text(sep), &doc{kind: docLine})
		}
		parts = append(parts, d)
	}
	single := cat(parts...)
	multi := cat(single, text(sep))
	return &doc{kind: docAlt, a: multi, b: single}
}

func encloseWith(left string, d *doc, right string, line docKind) *doc {
	if isEmptyDoc(d) {
		return text(left + right)
	}
	inner := &doc{kind: docNest, a: cat(&doc{kind: line}, d)}
	return &doc{kind: docGroup, a: cat(text(left), inner, &doc{kind: line}, text(right))}
}

func enclose(left string, d *doc, right string) *doc { return encloseWith(left, d, right, docLine0) }

func encloseSpace(left string, d *doc, right string) *doc {
	return encloseWith(left, d, right, docLine)
}

type docCmd struct {
	indent int
	flat   bool
	d      *doc
}

// render lays a doc out in the given width.
func render(d *doc, width int) string {
	var b strings.Builder
	pos := 0
	stack := []docCmd{{0, false, d}}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch c.d.kind {
		case docText:
			b.WriteString(c.d.text)
			pos += c.d.width
		case docLine, docLine0:
			if c.flat {
				if c.d.kind == docLine {
					b.WriteByte(' ')
					pos++
				}
				continue
			}
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", c.indent))
			pos = c.indent
		case docCat:
			for i := len(c.d.kids) - 1; i >= 0; i-- {
				stack = append(stack, docCmd{c.indent, c.flat, c.d.kids[i]})
			}
		case docNest:
			stack = append(stack, docCmd{c.indent + indentSpace, c.flat, c.d.a})
		case docAlt:
			if c.flat {
				stack = append(stack, docCmd{c.indent, true, c.d.b})
			} else {
				stack = append(stack, docCmd{c.indent, false, c.d.a})
			}
		case docGroup:
			flat := c.flat || fits(width-pos, docCmd{c.indent, true, c.d.a}, stack)
			stack = append(stack, docCmd{c.indent, flat, c.d.a})
		}
	}
	return b.String()
}

// fits reports whether cmd, laid out flat, and what follows it up to the
// next line break fit in w columns.
func fits(w int, cmd docCmd, rest []docCmd) bool {
	stack := []docCmd{cmd}
	for w >= 0 {
		if len(stack) == 0 {
			if len(rest) == 0 {
				return true
			}
			stack = append(stack, rest[len(rest)-1])
			rest = rest[:len(rest)-1]
		}
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch c.d.kind {
		case docText:
			w -= c.d.width
		case docLine, docLine0:
			if !c.flat {
				return true
			}
			if c.d.kind == docLine {
				w--
			}
		case docCat:
			for i := len(c.d.kids) - 1; i >= 0; i-- {
				stack = append(stack, docCmd{c.indent, c.flat, c.d.kids[i]})
			}
		case docNest:
			stack = append(stack, docCmd{c.indent + indentSpace, c.flat, c.d.a})
		case docAlt:
			if c.flat {
				stack = append(stack, docCmd{c.indent, true, c.d.b})
			} else {
				stack = append(stack, docCmd{c.indent, false, c.d.a})
			}
		case docGroup:
			stack = append(stack, docCmd{c.indent, c.flat, c.d.a})
		}
	}
	return false
}

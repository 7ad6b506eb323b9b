package candid

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// parser reads the Candid type and value syntax from tokens. Type names are
// resolved against env; names not yet defined are recorded as placeholders
// and filled in by the caller (service descriptions define types in any
// order).
type parser struct {
	toks  []token
	i     int
	src   string
	env   map[string]*Type
	defs  map[string]*typeDef
	depth int
}

// typeDef is a named type definition waiting to be resolved.
type typeDef struct {
	name  string
	node  *Type  // the shared node every reference points to
	alias string // non-empty when the definition is just another name
	body  *Type  // the definition when it is not an alias
	state int8   // 0 unresolved, 1 resolving, 2 done
}

func newParser(src string) (*parser, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks, src: src, env: map[string]*Type{}, defs: map[string]*typeDef{}}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(format string, args ...any) error {
	t := p.peek()
	line := 1 + strings.Count(p.src[:min(t.pos, len(p.src))], "\n")
	what := t.val
	if t.kind == tEOF {
		what = "end of input"
	}
	return fmt.Errorf("line %d near %q: %s", line, what, fmt.Sprintf(format, args...))
}

func (p *parser) isPunct(s string) bool { t := p.peek(); return t.kind == tPunct && t.val == s }
func (p *parser) isKeyword(s string) bool {
	t := p.peek()
	return t.kind == tIdent && t.val == s
}

func (p *parser) expect(s string) error {
	if !p.isPunct(s) {
		return p.errorf("expected %q", s)
	}
	p.advance()
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nested too deeply")
	}
	return nil
}

// primKind returns the primitive type named s, or 0.
func primKind(s string) Kind {
	for k := KindNull; k <= KindPrincipal; k++ {
		if k.IsPrimitive() && kindNames[k] == s {
			return k
		}
	}
	return 0
}

// dataType parses <datatype>.
func (p *parser) dataType() (*Type, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	if t.kind != tIdent {
		return nil, p.errorf("expected a type")
	}
	if k := primKind(t.val); k != 0 {
		p.advance()
		return Prim(k), nil
	}
	switch t.val {
	case "opt", "vec":
		p.advance()
		e, err := p.dataType()
		if err != nil {
			return nil, err
		}
		if t.val == "opt" {
			return OptType(e), nil
		}
		return VecType(e), nil
	case "blob":
		p.advance()
		return BlobType(), nil
	case "record", "variant":
		p.advance()
		return p.fieldTypes(t.val == "variant")
	case "func":
		p.advance()
		return p.funcType()
	case "service":
		p.advance()
		return p.actorType()
	}
	p.advance()
	return p.ref(t.val), nil
}

// ref returns the node of a named type, creating a placeholder if needed.
func (p *parser) ref(name string) *Type {
	if t, ok := p.env[name]; ok {
		return t
	}
	d := p.defs[name]
	if d == nil {
		d = &typeDef{name: name, node: &Type{Name: name}}
		p.defs[name] = d
	}
	return d.node
}

func (p *parser) label() (uint32, string, bool, error) {
	t := p.peek()
	switch t.kind {
	case tIdent:
		p.advance()
		return Hash(t.val), t.val, true, nil
	case tText:
		if !utf8.ValidString(t.val) {
			return 0, "", false, p.errorf("label is not valid UTF-8")
		}
		p.advance()
		return Hash(t.val), t.val, true, nil
	case tNum:
		n, err := parseNat32(t.val)
		if err != nil {
			return 0, "", false, p.errorf("%v", err)
		}
		p.advance()
		return n, "", true, nil
	}
	return 0, "", false, nil
}

func parseNat32(s string) (uint32, error) {
	s = strings.ReplaceAll(s, "_", "")
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s, base = s[2:], 16
	}
	n, err := strconv.ParseUint(s, base, 32)
	if err != nil {
		return 0, fmt.Errorf("field id %q out of range", s)
	}
	return uint32(n), nil
}

func (p *parser) fieldTypes(variant bool) (*Type, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var fs []Field
	next := uint32(0)
	for !p.isPunct("}") {
		var f Field
		t := p.peek()
		labeled := (t.kind == tIdent || t.kind == tText || t.kind == tNum) && p.peekAt(1).kind == tPunct && p.peekAt(1).val == ":"
		switch {
		case labeled:
			id, name, _, err := p.label()
			if err != nil {
				return nil, err
			}
			p.advance() // ':'
			ft, err := p.dataType()
			if err != nil {
				return nil, err
			}
			f = Field{ID: id, Name: name, Type: ft}
		case variant && (t.kind == tIdent || t.kind == tText || t.kind == tNum):
			id, name, _, err := p.label()
			if err != nil {
				return nil, err
			}
			f = Field{ID: id, Name: name, Type: Prim(KindNull)}
		default:
			ft, err := p.dataType()
			if err != nil {
				return nil, err
			}
			f = Field{ID: next, Type: ft}
		}
		next = f.ID + 1
		fs = append(fs, f)
		if !p.isPunct(";") {
			break
		}
		p.advance()
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	var t *Type
	var err error
	if variant {
		t, err = NewVariantType(fs)
	} else {
		t, err = NewRecordType(fs)
	}
	if err != nil {
		return nil, p.errorf("%v", err)
	}
	return t, nil
}

// argTypes parses "( <argtype>,* )"; argument names are dropped.
func (p *parser) argTypes() ([]*Type, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	ts := []*Type{}
	for !p.isPunct(")") {
		t := p.peek()
		if (t.kind == tIdent || t.kind == tText) && p.peekAt(1).kind == tPunct && p.peekAt(1).val == ":" {
			p.advance()
			p.advance()
		}
		at, err := p.dataType()
		if err != nil {
			return nil, err
		}
		ts = append(ts, at)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	return ts, p.expect(")")
}

func (p *parser) funcType() (*Type, error) {
	args, err := p.argTypes()
	if err != nil {
		return nil, err
	}
	if err := p.expect("->"); err != nil {
		return nil, err
	}
	res, err := p.argTypes()
	if err != nil {
		return nil, err
	}
	var modes []FuncMode
	for {
		switch {
		case p.isKeyword("query"):
			modes = append(modes, ModeQuery)
		case p.isKeyword("oneway"):
			modes = append(modes, ModeOneway)
		case p.isKeyword("composite_query"):
			modes = append(modes, ModeCompositeQuery)
		default:
			return FuncType(args, res, modes...), nil
		}
		p.advance()
	}
}

func (p *parser) actorType() (*Type, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var ms []Method
	for !p.isPunct("}") {
		t := p.peek()
		if t.kind != tIdent && t.kind != tText {
			return nil, p.errorf("expected a method name")
		}
		p.advance()
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		var ft *Type
		if p.isPunct("(") {
			f, err := p.funcType()
			if err != nil {
				return nil, err
			}
			ft = f
		} else {
			n := p.peek()
			if n.kind != tIdent {
				return nil, p.errorf("expected a function type")
			}
			p.advance()
			ft = p.ref(n.val)
		}
		ms = append(ms, Method{Name: t.val, Type: ft})
		if !p.isPunct(";") {
			break
		}
		p.advance()
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	// Method types may be names resolved later; check kinds after
	// resolution (see resolve).
	sorted := append([]Method(nil), ms...)
	sortMethods(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i].Name == sorted[i-1].Name {
			return nil, p.errorf("duplicate method %q", sorted[i].Name)
		}
	}
	return &Type{Kind: KindService, Methods: sorted}, nil
}

func sortMethods(ms []Method) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].Name < ms[j-1].Name; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// typeDecl parses "type <id> = <datatype>".
func (p *parser) typeDecl() error {
	p.advance() // type
	n := p.peek()
	if n.kind != tIdent {
		return p.errorf("expected a type name")
	}
	p.advance()
	if err := p.expect("="); err != nil {
		return err
	}
	d := p.defs[n.val]
	if d == nil {
		d = &typeDef{name: n.val, node: &Type{Name: n.val}}
		p.defs[n.val] = d
	}
	if d.body != nil || d.alias != "" {
		return p.errorf("type %q defined twice", n.val)
	}
	if isKeyword(n.val) {
		return p.errorf("type name %q is a keyword", n.val)
	}
	// An alias of another name is remembered as such: it takes that
	// type's node contents once resolved.
	if t := p.peek(); t.kind == tIdent && !isKeyword(t.val) {
		p.advance()
		p.ref(t.val)
		d.alias = t.val
		return nil
	}
	body, err := p.dataType()
	if err != nil {
		return err
	}
	d.body = body
	return nil
}

// resolve fills every named node with its definition.
func (p *parser) resolve() error {
	for _, d := range p.defs {
		if err := p.resolveDef(d); err != nil {
			return err
		}
	}
	for name, d := range p.defs {
		p.env[name] = d.node
	}
	return nil
}

func (p *parser) resolveDef(d *typeDef) error {
	switch d.state {
	case 2:
		return nil
	case 1:
		return fmt.Errorf("type %q is defined as itself", d.name)
	}
	d.state = 1
	var src *Type
	switch {
	case d.alias != "":
		a, ok := p.defs[d.alias]
		if !ok {
			return fmt.Errorf("type %q: unknown type %q", d.name, d.alias)
		}
		if err := p.resolveDef(a); err != nil {
			return err
		}
		src = a.node
	case d.body != nil:
		src = d.body
	default:
		return fmt.Errorf("unknown type %q", d.name)
	}
	name := d.name
	*d.node = *src
	d.node.Name = name
	if d.alias != "" && src.Kind.IsPrimitive() {
		// keep the alias name for printing only
		d.node.Name = name
	}
	d.state = 2
	return nil
}

// checkTypes verifies what can only be checked once names are resolved:
// service methods are functions.
func checkTypes(ts []*Type) error {
	seen := map[*Type]bool{}
	var walk func(t *Type) error
	walk = func(t *Type) error {
		if t == nil || seen[t] {
			return nil
		}
		seen[t] = true
		if t.Kind == 0 {
			return fmt.Errorf("unresolved type %q", t.Name)
		}
		if err := walk(t.Elem); err != nil {
			return err
		}
		for _, f := range t.Fields {
			if err := walk(f.Type); err != nil {
				return err
			}
		}
		for _, a := range append(append([]*Type{}, t.Args...), t.Results...) {
			if err := walk(a); err != nil {
				return err
			}
		}
		for _, m := range t.Methods {
			if m.Type.Kind != KindFunc {
				return fmt.Errorf("method %q is not a function", m.Name)
			}
			if err := walk(m.Type); err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range ts {
		if err := walk(t); err != nil {
			return err
		}
	}
	return nil
}

// ---- values ----

type tvKind uint8

const (
	tvNull tvKind = iota
	tvBool
	tvNum
	tvText
	tvBlob
	tvOpt
	tvVec
	tvRecord
	tvVariant
	tvPrincipal
	tvService
	tvFunc
	tvAnnot
)

// tval is a value as written, before it is given a type.
type tval struct {
	kind   tvKind
	b      bool
	s      string // number literal, text, blob bytes, principal text, method
	float  bool   // number literal with a fraction or exponent
	elems  []*tval
	fields []tfield
	typ    *Type // tvAnnot
}

type tfield struct {
	id   uint32
	name string
	v    *tval
}

func (p *parser) args() ([]*tval, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var vs []*tval
	for !p.isPunct(")") {
		v, err := p.annVal()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
		if !p.isPunct(",") {
			break
		}
		p.advance()
	}
	return vs, p.expect(")")
}

func (p *parser) annVal() (*tval, error) {
	v, err := p.basicVal()
	if err != nil {
		return nil, err
	}
	if p.isPunct(":") {
		p.advance()
		t, err := p.dataType()
		if err != nil {
			return nil, err
		}
		return &tval{kind: tvAnnot, elems: []*tval{v}, typ: t}, nil
	}
	return v, nil
}

func (p *parser) textLit() (string, error) {
	t := p.peek()
	if t.kind != tText {
		return "", p.errorf("expected a string literal")
	}
	p.advance()
	return t.val, nil
}

func (p *parser) basicVal() (*tval, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.peek()
	switch t.kind {
	case tNum, tFloat:
		p.advance()
		return &tval{kind: tvNum, s: t.val, float: t.kind == tFloat}, nil
	case tText:
		p.advance()
		if !utf8.ValidString(t.val) {
			return nil, p.errorf("text is not valid UTF-8")
		}
		return &tval{kind: tvText, s: t.val}, nil
	case tPunct:
		if t.val == "(" {
			p.advance()
			v, err := p.annVal()
			if err != nil {
				return nil, err
			}
			return v, p.expect(")")
		}
		return nil, p.errorf("expected a value")
	case tEOF:
		return nil, p.errorf("expected a value")
	}
	p.advance()
	switch t.val {
	case "NaN", "inf":
		return &tval{kind: tvNum, s: t.val, float: true}, nil
	case "null":
		return &tval{kind: tvNull}, nil
	case "true", "false":
		return &tval{kind: tvBool, b: t.val == "true"}, nil
	case "opt":
		v, err := p.basicVal()
		if err != nil {
			return nil, err
		}
		return &tval{kind: tvOpt, elems: []*tval{v}}, nil
	case "vec":
		if err := p.expect("{"); err != nil {
			return nil, err
		}
		v := &tval{kind: tvVec}
		for !p.isPunct("}") {
			e, err := p.annVal()
			if err != nil {
				return nil, err
			}
			v.elems = append(v.elems, e)
			if !p.isPunct(";") {
				break
			}
			p.advance()
		}
		return v, p.expect("}")
	case "blob":
		s, err := p.textLit()
		if err != nil {
			return nil, err
		}
		return &tval{kind: tvBlob, s: s}, nil
	case "record", "variant":
		return p.fieldVals(t.val == "variant")
	case "principal", "service":
		s, err := p.textLit()
		if err != nil {
			return nil, err
		}
		k := tvPrincipal
		if t.val == "service" {
			k = tvService
		}
		return &tval{kind: k, s: s}, nil
	case "func":
		s, err := p.textLit()
		if err != nil {
			return nil, err
		}
		if err := p.expect("."); err != nil {
			return nil, err
		}
		m := p.peek()
		if m.kind != tIdent && m.kind != tText {
			return nil, p.errorf("expected a method name")
		}
		p.advance()
		return &tval{kind: tvFunc, s: s, elems: []*tval{{kind: tvText, s: m.val}}}, nil
	}
	return nil, fmt.Errorf("unexpected %q", t.val)
}

func (p *parser) fieldVals(variant bool) (*tval, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	v := &tval{kind: tvRecord}
	if variant {
		v.kind = tvVariant
	}
	next := uint32(0)
	for !p.isPunct("}") {
		t := p.peek()
		var f tfield
		if (t.kind == tIdent || t.kind == tText || t.kind == tNum) && p.peekAt(1).kind == tPunct && p.peekAt(1).val == "=" {
			id, name, _, err := p.label()
			if err != nil {
				return nil, err
			}
			p.advance() // '='
			fv, err := p.annVal()
			if err != nil {
				return nil, err
			}
			f = tfield{id: id, name: name, v: fv}
		} else if variant && (t.kind == tIdent || t.kind == tText || t.kind == tNum) && t.val != "null" && t.val != "true" && t.val != "false" {
			id, name, _, err := p.label()
			if err != nil {
				return nil, err
			}
			f = tfield{id: id, name: name, v: &tval{kind: tvNull}}
		} else {
			fv, err := p.annVal()
			if err != nil {
				return nil, err
			}
			f = tfield{id: next, v: fv}
		}
		next = f.id + 1
		v.fields = append(v.fields, f)
		if !p.isPunct(";") {
			break
		}
		p.advance()
	}
	if err := p.expect("}"); err != nil {
		return nil, err
	}
	if variant && len(v.fields) != 1 {
		return nil, p.errorf("a variant value has exactly one tag")
	}
	seen := make(map[uint32]bool, len(v.fields))
	for _, f := range v.fields {
		if seen[f.id] {
			return nil, p.errorf("duplicate field %d", f.id)
		}
		seen[f.id] = true
	}
	return v, nil
}

// ParseArgs parses a textual argument sequence such as
// `(record { to = principal "aaaaa-aa"; amount = 10 : nat })` and gives
// its values the types. Missing trailing arguments of null, opt or reserved
// type read as null.
func ParseArgs(src string, types []*Type) ([]Value, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, fmt.Errorf("candid: parse: %w", err)
	}
	tvs, err := p.args()
	if err == nil && p.peek().kind != tEOF {
		err = p.errorf("trailing input")
	}
	if err == nil {
		err = p.resolve()
	}
	if err != nil {
		return nil, fmt.Errorf("candid: parse: %w", err)
	}
	vals, err := convArgs(tvs, types)
	if err != nil {
		return nil, fmt.Errorf("candid: parse: %w", err)
	}
	return vals, nil
}

// ParseArgsAny parses a textual argument sequence without expected types,
// inferring them: unannotated integers are int, decimals float64.
func ParseArgsAny(src string) ([]*Type, []Value, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, nil, fmt.Errorf("candid: parse: %w", err)
	}
	tvs, err := p.args()
	if err == nil && p.peek().kind != tEOF {
		err = p.errorf("trailing input")
	}
	if err == nil {
		err = p.resolve()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("candid: parse: %w", err)
	}
	ts := make([]*Type, len(tvs))
	vs := make([]Value, len(tvs))
	for i, tv := range tvs {
		if ts[i], vs[i], err = infer(tv, 0); err != nil {
			return nil, nil, fmt.Errorf("candid: parse: argument %d: %w", i, err)
		}
	}
	return ts, vs, nil
}

// ParseType parses a type in the Candid syntax, such as
// `record { owner : principal; subaccount : opt blob }`.
func ParseType(src string) (*Type, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, fmt.Errorf("candid: parse: %w", err)
	}
	t, err := p.dataType()
	if err == nil && p.peek().kind != tEOF {
		err = p.errorf("trailing input")
	}
	if err == nil {
		err = p.resolve()
	}
	if err == nil {
		err = checkTypes([]*Type{t})
	}
	if err != nil {
		return nil, fmt.Errorf("candid: parse: %w", err)
	}
	return t, nil
}

func convArgs(tvs []*tval, types []*Type) ([]Value, error) {
	if len(tvs) > len(types) {
		return nil, fmt.Errorf("%d values for %d types", len(tvs), len(types))
	}
	vals := make([]Value, len(types))
	for i, t := range types {
		if i >= len(tvs) {
			v, ok := nullOf(t)
			if !ok {
				return nil, fmt.Errorf("argument %d (%s) missing", i, t.Kind)
			}
			vals[i] = v
			continue
		}
		v, err := conv(tvs[i], t, 0)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i, err)
		}
		vals[i] = v
	}
	return vals, nil
}

// conv gives a written value the type t.
func conv(v *tval, t *Type, depth int) (Value, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	depth++
	if v.kind == tvAnnot {
		if _, err := conv(v.elems[0], v.typ, depth); err != nil {
			return nil, err
		}
		if !IsSubtype(v.typ, t) {
			return nil, fmt.Errorf("annotation %s does not fit %s", v.typ, t)
		}
		return conv(v.elems[0], t, depth)
	}
	mismatch := func() error { return fmt.Errorf("value does not fit type %s", t.Kind) }
	switch t.Kind {
	case KindReserved:
		if _, _, err := infer(v, depth); err != nil {
			return nil, err
		}
		return Reserved{}, nil
	case KindNull:
		if v.kind != tvNull {
			return nil, mismatch()
		}
		return Null{}, nil
	case KindOpt:
		switch v.kind {
		case tvNull:
			return Opt{}, nil
		case tvOpt:
			x, err := conv(v.elems[0], t.Elem, depth)
			if err != nil {
				return nil, err
			}
			return Opt{Value: x}, nil
		}
		if nullable(t.Elem) {
			return nil, mismatch()
		}
		x, err := conv(v, t.Elem, depth)
		if err != nil {
			return nil, err
		}
		return Opt{Value: x}, nil
	case KindBool:
		if v.kind != tvBool {
			return nil, mismatch()
		}
		return v.b, nil
	case KindNat, KindInt, KindNat8, KindNat16, KindNat32, KindNat64,
		KindInt8, KindInt16, KindInt32, KindInt64, KindFloat32, KindFloat64:
		if v.kind != tvNum {
			return nil, mismatch()
		}
		return parseNumber(v.s, v.float, t.Kind)
	case KindText:
		if v.kind != tvText {
			return nil, mismatch()
		}
		return v.s, nil
	case KindPrincipal:
		if v.kind != tvPrincipal {
			return nil, mismatch()
		}
		return parsePrincipal(v.s)
	case KindService:
		if v.kind != tvService {
			return nil, mismatch()
		}
		pr, err := parsePrincipal(v.s)
		if err != nil {
			return nil, err
		}
		return ServiceRef{ID: pr}, nil
	case KindFunc:
		if v.kind != tvFunc {
			return nil, mismatch()
		}
		pr, err := parsePrincipal(v.s)
		if err != nil {
			return nil, err
		}
		return FuncRef{Service: pr, Method: v.elems[0].s}, nil
	case KindVec:
		if t.Elem.Kind == KindNat8 {
			switch v.kind {
			case tvBlob:
				return []byte(v.s), nil
			case tvVec:
				b := make([]byte, len(v.elems))
				for i, e := range v.elems {
					x, err := conv(e, t.Elem, depth)
					if err != nil {
						return nil, err
					}
					b[i] = x.(uint8)
				}
				return b, nil
			}
			return nil, mismatch()
		}
		if v.kind != tvVec {
			return nil, mismatch()
		}
		vs := make([]Value, len(v.elems))
		for i, e := range v.elems {
			x, err := conv(e, t.Elem, depth)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			vs[i] = x
		}
		return vs, nil
	case KindRecord:
		if v.kind != tvRecord {
			return nil, mismatch()
		}
		fs := make([]FieldValue, len(t.Fields))
		byID := make(map[uint32]*tval, len(v.fields))
		for _, g := range v.fields {
			byID[g.id] = g.v
		}
		for i, f := range t.Fields {
			fv := byID[f.ID]
			if fv == nil {
				x, ok := nullOf(f.Type)
				if !ok {
					return nil, fmt.Errorf("field %s missing", labelString(f))
				}
				fs[i] = FieldValue{ID: f.ID, Name: f.Name, Value: x}
				continue
			}
			x, err := conv(fv, f.Type, depth)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", labelString(f), err)
			}
			fs[i] = FieldValue{ID: f.ID, Name: f.Name, Value: x}
		}
		return Record{Fields: fs}, nil
	case KindVariant:
		if v.kind != tvVariant {
			return nil, mismatch()
		}
		g := v.fields[0]
		f, ok := t.Field(g.id)
		if !ok {
			return nil, fmt.Errorf("variant type has no tag %d", g.id)
		}
		x, err := conv(g.v, f.Type, depth)
		if err != nil {
			return nil, fmt.Errorf("tag %s: %w", labelString(f), err)
		}
		return Variant{ID: f.ID, Name: f.Name, Value: x}, nil
	case KindEmpty:
		return nil, errors.New("no value has type empty")
	}
	return nil, mismatch()
}

func parsePrincipal(s string) (principal.Principal, error) {
	return principal.Parse(s)
}

// parseNumber reads a numeric literal at a numeric type.
func parseNumber(lit string, isFloat bool, k Kind) (Value, error) {
	s := strings.ReplaceAll(lit, "_", "")
	if k == KindFloat32 || k == KindFloat64 {
		bits := 64
		if k == KindFloat32 {
			bits = 32
		}
		var f float64
		var err error
		if strings.Contains(s, "0x") || strings.Contains(s, "0X") {
			var n *big.Int
			n, err = parseBigInt(s)
			if err == nil {
				f, _ = new(big.Float).SetInt(n).Float64()
			}
		} else {
			f, err = strconv.ParseFloat(s, bits)
		}
		if err != nil {
			return nil, fmt.Errorf("bad %s literal %q", k, lit)
		}
		if k == KindFloat32 {
			return float32(f), nil
		}
		return f, nil
	}
	if isFloat {
		return nil, fmt.Errorf("%s literal %q is not an integer", k, lit)
	}
	n, err := parseBigInt(s)
	if err != nil {
		return nil, err
	}
	fits := func(lo, hi int64) bool { return n.IsInt64() && n.Int64() >= lo && n.Int64() <= hi }
	switch k {
	case KindNat:
		if n.Sign() < 0 {
			return nil, fmt.Errorf("negative nat %s", lit)
		}
		return n, nil
	case KindInt:
		return n, nil
	case KindNat64:
		if n.Sign() < 0 || !n.IsUint64() {
			break
		}
		return n.Uint64(), nil
	case KindNat32:
		if fits(0, 1<<32-1) {
			return uint32(n.Int64()), nil
		}
	case KindNat16:
		if fits(0, 1<<16-1) {
			return uint16(n.Int64()), nil
		}
	case KindNat8:
		if fits(0, 1<<8-1) {
			return uint8(n.Int64()), nil
		}
	case KindInt64:
		if n.IsInt64() {
			return n.Int64(), nil
		}
	case KindInt32:
		if fits(-1<<31, 1<<31-1) {
			return int32(n.Int64()), nil
		}
	case KindInt16:
		if fits(-1<<15, 1<<15-1) {
			return int16(n.Int64()), nil
		}
	case KindInt8:
		if fits(-1<<7, 1<<7-1) {
			return int8(n.Int64()), nil
		}
	}
	return nil, fmt.Errorf("%s out of range for %s", lit, k)
}

func parseBigInt(s string) (*big.Int, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s, base = s[2:], 16
	}
	n, ok := new(big.Int).SetString(s, base)
	if !ok || s == "" || s[0] == '-' || s[0] == '+' {
		return nil, fmt.Errorf("bad number %q", s)
	}
	if neg {
		n.Neg(n)
	}
	return n, nil
}

// infer gives a written value its natural type.
func infer(v *tval, depth int) (*Type, Value, error) {
	if depth > maxDepth {
		return nil, nil, errors.New("value nested too deeply")
	}
	depth++
	var t *Type
	switch v.kind {
	case tvAnnot:
		x, err := conv(v.elems[0], v.typ, depth)
		return v.typ, x, err
	case tvNull:
		return Prim(KindNull), Null{}, nil
	case tvBool:
		return Prim(KindBool), v.b, nil
	case tvNum:
		t = Prim(KindInt)
		if v.float {
			t = Prim(KindFloat64)
		}
	case tvText:
		t = Prim(KindText)
	case tvBlob:
		t = BlobType()
	case tvPrincipal:
		t = Prim(KindPrincipal)
	case tvService:
		t = &Type{Kind: KindService}
	case tvFunc:
		t = FuncType(nil, nil)
	case tvOpt:
		et, ev, err := infer(v.elems[0], depth)
		if err != nil {
			return nil, nil, err
		}
		return OptType(et), Opt{Value: ev}, nil
	case tvVec:
		if len(v.elems) == 0 {
			return VecType(Prim(KindEmpty)), []Value{}, nil
		}
		et, _, err := infer(v.elems[0], depth)
		if err != nil {
			return nil, nil, err
		}
		t = VecType(et)
	case tvRecord, tvVariant:
		fs := make([]Field, len(v.fields))
		vals := make([]FieldValue, len(v.fields))
		for i, f := range v.fields {
			ft, fv, err := infer(f.v, depth)
			if err != nil {
				return nil, nil, err
			}
			fs[i] = Field{ID: f.id, Name: f.name, Type: ft}
			vals[i] = FieldValue{ID: f.id, Name: f.name, Value: fv}
		}
		if v.kind == tvVariant {
			vt, err := NewVariantType(fs)
			if err != nil {
				return nil, nil, err
			}
			return vt, Variant{ID: fs[0].ID, Name: fs[0].Name, Value: vals[0].Value}, nil
		}
		rt, err := NewRecordType(fs)
		if err != nil {
			return nil, nil, err
		}
		sortFieldValues(vals)
		return rt, Record{Fields: vals}, nil
	}
	x, err := conv(v, t, depth)
	return t, x, err
}

func sortFieldValues(fs []FieldValue) {
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && fs[j].ID < fs[j-1].ID; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
}

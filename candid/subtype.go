package candid

// IsSubtype reports whether a <: b in Candid's subtyping: a value of type a
// can be read at type b. Recursive types are compared coinductively.
func IsSubtype(a, b *Type) bool {
	var r reader
	return r.subtype(a, b)
}

// subtype decides w <: t, memoising results; a pair under examination is
// assumed to hold (coinduction), and forgotten again if it turns out not to.
func (r *reader) subtype(w, t *Type) bool {
	if w == t || t.Kind == KindReserved || t.Kind == KindOpt || w.Kind == KindEmpty {
		// Any type is a subtype of an opt type: the value reads as null
		// when it does not fit.
		return true
	}
	if w.Kind.IsPrimitive() && t.Kind.IsPrimitive() {
		return w.Kind == t.Kind || (w.Kind == KindNat && t.Kind == KindInt)
	}
	if w.Kind == KindService && t.Kind == KindPrincipal {
		return true
	}
	if w.Kind != t.Kind {
		return false
	}
	key := [2]*Type{w, t}
	if v, ok := r.memo[key]; ok {
		return v
	}
	if r.memo == nil {
		r.memo = make(map[[2]*Type]bool)
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return false
	}
	r.memo[key] = true
	ok := r.subtypeBody(w, t)
	if !ok {
		r.memo[key] = false
	}
	return ok
}

func (r *reader) subtypeBody(w, t *Type) bool {
	switch t.Kind {
	case KindVec:
		return r.subtype(w.Elem, t.Elem)
	case KindRecord:
		for _, f := range t.Fields {
			wf, ok := w.Field(f.ID)
			if !ok {
				if !nullable(f.Type) {
					return false
				}
				continue
			}
			if !r.subtype(wf.Type, f.Type) {
				return false
			}
		}
		return true
	case KindVariant:
		for _, wf := range w.Fields {
			f, ok := t.Field(wf.ID)
			if !ok || !r.subtype(wf.Type, f.Type) {
				return false
			}
		}
		return true
	case KindFunc:
		if len(w.Modes) != len(t.Modes) {
			return false
		}
		for i := range w.Modes {
			if w.Modes[i] != t.Modes[i] {
				return false
			}
		}
		// Arguments are contravariant, results covariant, both read like
		// tuples: missing trailing entries must be nullable.
		return r.tupleSub(t.Args, w.Args) && r.tupleSub(w.Results, t.Results)
	case KindFuture:
		// Reflexivity: the same future type, byte for byte.
		return w.future.op == t.future.op && string(w.future.desc) == string(t.future.desc)
	case KindService:
		for _, m := range t.Methods {
			wm, ok := w.Method(m.Name)
			if !ok || !r.subtype(wm, m.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// tupleSub decides (a...) <: (b...) for argument sequences.
func (r *reader) tupleSub(a, b []*Type) bool {
	for i, bt := range b {
		if i >= len(a) {
			if !nullable(bt) {
				return false
			}
			continue
		}
		if !r.subtype(a[i], bt) {
			return false
		}
	}
	return true
}

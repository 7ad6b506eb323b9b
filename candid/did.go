package candid

import (
	"fmt"
	"sort"
)

// Description is a parsed service description (a .did file).
type Description struct {
	// Types are the named type definitions.
	Types map[string]*Type
	// Service is the service type, nil if the file declares none.
	Service *Type
	// InitArgs are the arguments of a service class (service : (args) -> {...}).
	InitArgs []*Type
}

// TypeNames returns the names of the defined types, sorted.
func (d *Description) TypeNames() []string {
	names := make([]string, 0, len(d.Types))
	for n := range d.Types {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Method returns the function type of a method of the service.
func (d *Description) Method(name string) (*Type, error) {
	if d.Service == nil {
		return nil, fmt.Errorf("candid: description declares no service")
	}
	t, ok := d.Service.Method(name)
	if !ok {
		return nil, fmt.Errorf("candid: service has no method %q", name)
	}
	return t, nil
}

// ParseDescription parses a service description: type definitions followed
// by an optional service declaration. Imports are not supported.
func ParseDescription(src string) (*Description, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, fmt.Errorf("candid: did: %w", err)
	}
	d, err := p.description()
	if err != nil {
		return nil, fmt.Errorf("candid: did: %w", err)
	}
	return d, nil
}

func (p *parser) defs0() error {
	for {
		switch {
		case p.isKeyword("type"):
			if err := p.typeDecl(); err != nil {
				return err
			}
		case p.isKeyword("import"):
			return p.errorf("imports are not supported")
		default:
			return nil
		}
		// The ';' after a definition is optional in practice.
		if p.isPunct(";") {
			p.advance()
		}
	}
}

func (p *parser) description() (*Description, error) {
	if err := p.defs0(); err != nil {
		return nil, err
	}
	d := &Description{}
	if p.isKeyword("service") {
		p.advance()
		if t := p.peek(); t.kind == tIdent {
			p.advance() // the service's name
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if p.isPunct("(") {
			args, err := p.argTypes()
			if err != nil {
				return nil, err
			}
			d.InitArgs = args
			if err := p.expect("->"); err != nil {
				return nil, err
			}
		}
		if p.isPunct("{") {
			s, err := p.actorType()
			if err != nil {
				return nil, err
			}
			d.Service = s
		} else {
			n := p.peek()
			if n.kind != tIdent {
				return nil, p.errorf("expected a service type")
			}
			p.advance()
			d.Service = p.ref(n.val)
		}
		if p.isPunct(";") {
			p.advance()
		}
		// Definitions may also follow the service.
		if err := p.defs0(); err != nil {
			return nil, err
		}
	}
	if p.peek().kind != tEOF {
		return nil, p.errorf("unexpected input")
	}
	if err := p.resolve(); err != nil {
		return nil, err
	}
	all := []*Type{}
	for _, t := range p.env {
		all = append(all, t)
	}
	if d.Service != nil {
		if d.Service.Kind != KindService {
			return nil, fmt.Errorf("service type is a %s", d.Service.Kind)
		}
		all = append(all, d.Service)
	}
	all = append(all, d.InitArgs...)
	if err := checkTypes(all); err != nil {
		return nil, err
	}
	d.Types = p.env
	return d, nil
}

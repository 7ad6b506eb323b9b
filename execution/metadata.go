package execution

import (
	"fmt"
	"slices"
	"strings"
)

// CustomSection is a Wasm custom section the IC exposes as canister
// metadata: one named "icp:public NAME" or "icp:private NAME", certified
// at /canister/<id>/metadata/NAME.
type CustomSection struct {
	// Name is the section's name without its "icp:public " or
	// "icp:private " prefix.
	Name string
	// Private says the section is readable only by the canister's
	// controllers.
	Private bool
	// Content is the section's bytes after its name.
	Content []byte
}

// Metadata returns the module's icp:public and icp:private custom
// sections sorted by name. The caller must not modify them.
func (p *Prepared) Metadata() []CustomSection { return p.meta }

// customSections collects and checks the icp: custom sections as the
// IC's replica does: at most 16 of them, 1 MiB of names and contents in
// all, and no name twice (public and private alike).
func customSections(info *moduleInfo) ([]CustomSection, error) {
	var out []CustomSection
	total := 0
	for i, c := range info.customs {
		var s CustomSection
		switch {
		case strings.HasPrefix(c, "icp:public "):
			s.Name = strings.TrimPrefix(c, "icp:public ")
		case strings.HasPrefix(c, "icp:private "):
			s.Name, s.Private = strings.TrimPrefix(c, "icp:private "), true
		default:
			continue
		}
		s.Content = append([]byte{}, info.customData[i]...) // not the caller's buffer
		total += len(s.Name) + len(s.Content)
		out = append(out, s)
	}
	if len(out) > maxCustomSections {
		return nil, fmt.Errorf("execution: invalid module: %d icp: custom sections (at most %d)", len(out), maxCustomSections)
	}
	if total > maxCustomBytes {
		return nil, fmt.Errorf("execution: invalid module: %d bytes of icp: custom sections (at most %d)", total, maxCustomBytes)
	}
	slices.SortStableFunc(out, func(a, b CustomSection) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(out); i++ {
		if out[i].Name == out[i-1].Name {
			return nil, fmt.Errorf("execution: invalid module: custom section %q declared more than once", out[i].Name)
		}
	}
	return out, nil
}

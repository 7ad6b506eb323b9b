package canisters

import (
	"slices"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// metadataOf returns the icp: custom sections of the module a canister
// has just written (wasm, whose hash is e.module): from the canister's
// prepared module, or else from the module cache. They are a function of
// the module alone, so every node computes the same ones and a restored
// node recomputes them from the stored module.
func (c *Component) metadataOf(e *entry, wasm []byte) []execution.CustomSection {
	if e.module == ([32]byte{}) {
		return nil
	}
	if p := e.can.Prepared(); p != nil && p.Hash == e.module {
		return p.Metadata()
	}
	if wasm == nil {
		return nil
	}
	p, _, err := c.modules.Get(wasm)
	if err != nil || p.Hash != e.module {
		return nil
	}
	return p.Metadata()
}

// metadataLeaves are a canister's /canister/<id>/metadata/<name> leaves,
// each a section's raw bytes, in name order.
func metadataLeaves(id []byte, meta []execution.CustomSection) []certification.PathValue {
	out := make([]certification.PathValue, 0, len(meta))
	for _, s := range meta {
		out = append(out, certification.PathValue{
			Path:  [][]byte{[]byte("canister"), id, []byte("metadata"), []byte(s.Name)},
			Value: s.Content,
		})
	}
	return out
}

// MetadataReadable reports whether sender may read the canister's
// metadata section name through read_state: a public section, or one
// the canister does not have, is readable by anyone (the certificate
// then proves it absent); a private one only by the canister's
// controllers as last persisted.
func (c *Component) MetadataReadable(canister principal.Principal, name string, sender principal.Principal) bool {
	e, ok := c.cans[string(canister.Bytes())]
	if !ok {
		return true
	}
	for _, s := range e.meta {
		if s.Name == name {
			return !s.Private || slices.Contains(e.controllers, sender)
		}
	}
	return true
}

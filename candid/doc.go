// Package candid implements Candid, the interface description language of
// the Internet Computer: its types, the binary message format (encoding with
// a type table, decoding against expected types with Candid's subtyping and
// a decoding budget), the textual value syntax as dfx prints it, service
// descriptions (.did files), and a mapping between Go values and Candid
// values driven by struct tags.
//
// The package does no I/O.
package candid

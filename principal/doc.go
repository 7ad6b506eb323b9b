// Package principal implements Internet Computer principals: the opaque
// identifiers of canisters, users, nodes and subnets, in their binary form
// (at most 29 bytes) and their textual form.
//
// The textual form is Base32(CRC32(b) || b), lower case, without padding,
// with a dash after every five characters, where CRC32 is the IEEE checksum
// of b in big-endian byte order. For example the management canister (the
// empty principal) is "aaaaa-aa" and the anonymous principal is "2vxsx-fae".
package principal

package httpapi

import (
	"crypto/ed25519"
	"slices"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// SubnetLeaves returns the state tree leaves IC agents read about a subnet
// whose certificates verify under rootKeyDER: /subnet/<sid>/public_key,
// /subnet/<sid>/canister_ranges, the sharded /canister_ranges/<sid>/<first
// canister id> (one shard), and /subnet/<sid>/node/<node id>/public_key for
// every node key (44-byte DER; node ids are the keys' self-authenticating
// principals). Agents need these to check canister ranges and query
// signatures.
func SubnetLeaves(subnet principal.Principal, rootKeyDER []byte, ranges []certification.CanisterRange, nodeKeys []ed25519.PublicKey) []certification.PathValue {
	sid := subnet.Bytes()
	enc := certification.EncodeCanisterRanges(ranges)
	out := []certification.PathValue{
		{Path: [][]byte{[]byte("subnet"), sid, []byte("public_key")}, Value: slices.Clone(rootKeyDER)},
		{Path: [][]byte{[]byte("subnet"), sid, []byte("canister_ranges")}, Value: enc},
	}
	if len(ranges) > 0 {
		out = append(out, certification.PathValue{Path: [][]byte{[]byte("canister_ranges"), sid, ranges[0].Low.Bytes()}, Value: enc})
	}
	for _, k := range nodeKeys {
		out = append(out, certification.PathValue{
			Path:  [][]byte{[]byte("subnet"), sid, []byte("node"), NodeID(k).Bytes(), []byte("public_key")},
			Value: Ed25519DER(k),
		})
	}
	return out
}

// CanisterLeaves returns /canister/<id>/module_hash (omitted for an empty
// canister, moduleHash nil) and /canister/<id>/controllers (tagged CBOR
// array of the controllers' principals), as read_state reveals them.
func CanisterLeaves(id principal.Principal, moduleHash []byte, controllers []principal.Principal) []certification.PathValue {
	var out []certification.PathValue
	if moduleHash != nil {
		out = append(out, certification.PathValue{Path: [][]byte{[]byte("canister"), id.Bytes(), []byte("module_hash")}, Value: slices.Clone(moduleHash)})
	}
	ps := make([][]byte, len(controllers))
	for i, c := range controllers {
		ps[i] = c.Bytes()
	}
	enc, err := marshalTagged(ps)
	if err != nil {
		panic(err) // byte strings always encode
	}
	return append(out, certification.PathValue{Path: [][]byte{[]byte("canister"), id.Bytes(), []byte("controllers")}, Value: enc})
}

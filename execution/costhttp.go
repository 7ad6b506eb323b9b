package execution

import (
	"fmt"

	"github.com/chainkey/chainkey/candid"
)

// HTTPCostParams is the Candid record ic0.cost_http_request_v2 reads:
// what the canister expects an outcall to use.
type HTTPCostParams struct {
	RequestBytes             uint64 `candid:"request_bytes"`
	HTTPRoundtripTimeMS      uint64 `candid:"http_roundtrip_time_ms"`
	RawResponseBytes         uint64 `candid:"raw_response_bytes"`
	TransformedResponseBytes uint64 `candid:"transformed_response_bytes"`
	TransformInstructions    uint64 `candid:"transform_instructions"`
}

// HTTPRequestV2 is what ic0.cost_http_request_v2 reports for params, the
// Candid encoding of an HTTPCostParams: the cycles the management
// canister's http_request charges on this subnet for a request of
// request_bytes whose response may reach the larger of
// raw_response_bytes and transformed_response_bytes. The charge is taken
// up front on the response size the canister allows (max_response_bytes),
// so a canister that passes its max_response_bytes as raw_response_bytes
// attaches exactly what the call costs; round-trip time and transform
// instructions are not charged apart.
func (f *Fees) HTTPRequestV2(params []byte) (uint64, error) {
	var p HTTPCostParams
	if err := candid.Decode(params, &p); err != nil {
		return 0, fmt.Errorf("params are not the expected Candid record: %w", err)
	}
	return f.HTTPRequest(p.RequestBytes, max(p.RawResponseBytes, p.TransformedResponseBytes)), nil
}

package replica

import (
	"encoding/hex"
)

// State keys.
const (
	keyCore        = "s/core"
	prefixRoot     = "r/" // r/<height> -> certified state root
	prefixCertSig  = "c/" // c/<height> -> certification signature
	prefixBeacon   = "b/" // b/<round> -> beacon value
	prefixStatus   = "q/" // q/<request id> -> subnet.RequestRecord
	prefixExpiry   = "x/" // x/<expiry><request id> -> empty (replay index)
	prefixEvidence = "e/" // e/<index>/<height> -> empty
	retainHeights  = 256  // roots and signatures kept for this many heights
	retainRounds   = 256
)

func statusKey(id []byte) []byte { return append([]byte(prefixStatus), id...) }

func expiryKey(expiry uint64, id []byte) []byte {
	return append(heightKey(prefixExpiry, expiry), id...)
}

func shortHex(b []byte) string {
	if len(b) > 6 {
		b = b[:6]
	}
	return hex.EncodeToString(b)
}

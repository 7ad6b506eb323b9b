package replica

import (
	"encoding/hex"

	"github.com/chainkey/chainkey/replica/subnet"
)

// State keys (certification and beacon keys are subnet's: PrefixRoot,
// PrefixCertSig, PrefixBeacon).
const (
	keyCore      = "s/core"
	prefixStatus = "q/" // q/<request id> -> subnet.RequestRecord
	prefixExpiry = "x/" // x/<expiry><request id> -> empty (replay index)
)

func statusKey(id []byte) []byte { return append([]byte(prefixStatus), id...) }

func expiryKey(expiry uint64, id []byte) []byte {
	return append(subnet.HeightKey(prefixExpiry, expiry), id...)
}

func shortHex(b []byte) string {
	if len(b) > 6 {
		b = b[:6]
	}
	return hex.EncodeToString(b)
}

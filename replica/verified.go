package replica

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/api"
)

// verifiedMemo remembers the envelopes this node has verified, by the
// SHA-256 of their encoding (which fixes the content, the sender's key and
// signature), so that before consensus an envelope's signature is checked
// once per node: by the node API for a caller's request, or by CheckTx for
// one gossiped by a peer. CometBFT's CheckTx on submission and its
// recheck of the mempool after every block then only check the expiry
// window. It is node-local and bounded (oldest out first); execution in a
// block verifies every envelope again, with the block time.
type verifiedMemo struct {
	mu    sync.Mutex
	max   int
	m     map[[32]byte]verifiedEnvelope
	order [][32]byte
}

type verifiedEnvelope struct {
	content *ingress.SignContent
	id      [32]byte
}

// verifiedMemoSize bounds the memo: more than the mempool holds of
// signing requests at the default block rate.
const verifiedMemoSize = 8192

func newVerifiedMemo(max int) *verifiedMemo {
	return &verifiedMemo{max: max, m: make(map[[32]byte]verifiedEnvelope, max)}
}

// remember records a request the node API verified.
func (v *verifiedMemo) remember(req *api.SignRequest) {
	v.add(sha256.Sum256(req.Envelope().Marshal()), verifiedEnvelope{content: req.Content(), id: req.ID()})
}

func (v *verifiedMemo) add(k [32]byte, e verifiedEnvelope) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.m[k]; ok {
		return
	}
	if len(v.order) >= v.max {
		delete(v.m, v.order[0])
		v.order = v.order[1:]
	}
	v.m[k] = e
	v.order = append(v.order, k)
}

// verify returns the content and request id of an encoded envelope valid
// at now, checking its signature only if it was not verified before.
func (v *verifiedMemo) verify(raw []byte, now time.Time, maxExpiry time.Duration) (*ingress.SignContent, [32]byte, error) {
	k := sha256.Sum256(raw)
	v.mu.Lock()
	e, ok := v.m[k]
	v.mu.Unlock()
	if ok {
		if err := ingress.CheckExpiry(e.content.IngressExpiry, now, maxExpiry); err != nil {
			return nil, e.id, fmt.Errorf("ingress: verify: %w", err)
		}
		return e.content, e.id, nil
	}
	env, err := ingress.ParseEnvelope(raw)
	if err != nil {
		return nil, [32]byte{}, err
	}
	c, id, err := env.Verify(now, maxExpiry)
	if err != nil {
		return nil, id, err
	}
	v.add(k, verifiedEnvelope{content: c, id: id})
	return c, id, nil
}

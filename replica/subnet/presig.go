package subnet

import (
	"crypto/sha256"
	"slices"
)

// AssignPresignatures gives the requests accepted before height their
// presignature (the oldest of the key's stock) and re-randomisation value
// (from the random beacon and the request id), both fixed by consensus
// after the request itself was. A request waits while its key has no
// stock.
func AssignPresignatures(cs *State, height uint64) {
	for i := range cs.Pending {
		p := &cs.Pending[i]
		if p.Randomness != nil || p.Height >= height {
			continue
		}
		stock := cs.Presigs[p.KeyID]
		if len(stock) == 0 {
			continue
		}
		rec := stock[0]
		cs.Presigs[p.KeyID] = slices.Delete(stock, 0, 1)
		p.Presig, p.PresigRec = rec.ID, &rec
		r := sha256.Sum256(append(append([]byte("chainkey-presig-randomness"), cs.Beacon...), p.ID...))
		p.Randomness = r[:]
	}
}

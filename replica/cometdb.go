package replica

import (
	"errors"
	"sync"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// closableDB wraps a CometBFT database so that reads racing with shutdown
// see an empty database instead of a panic: some CometBFT v1.0.1 gossip
// goroutines (consensus queryMaj23Routine) can still read the block store
// after the node closed it, and pebble panics on a closed DB.
type closableDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

var errDBClosed = errors.New("replica: database closed")

func (d *closableDB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(key)
}

func (d *closableDB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(key)
}

func (d *closableDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, errDBClosed
	}
	return d.DB.Iterator(start, end)
}

func (d *closableDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, errDBClosed
	}
	return d.DB.ReverseIterator(start, end)
}

func (d *closableDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}

// cometDBProvider opens CometBFT's stores in pebble (quiet) behind closableDB.
func cometDBProvider(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := dbm.NewPebbleDBWithOpts(ctx.ID, ctx.Config.DBDir(), &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, err
	}
	return &closableDB{DB: db}, nil
}

package replica

import "github.com/chainkey/chainkey/replica/subnet"

// memKV is a kvStore in memory: the simulated subnet's nodes keep their
// state in one each, so protocol tests touch no disk. Closing it keeps
// the data, so a node restarted on the same memKV finds what it had
// committed, as a node restarted on its pebble directory does.
type memKV struct{ m *subnet.MemStorage }

func newMemKV() memKV { return memKV{subnet.NewMemStorage()} }

func (m memKV) get(key []byte) ([]byte, bool, error) { return m.m.Get(key) }

func (m memKV) scan(prefix []byte, fn func(k, v []byte) bool) error { return m.m.Scan(prefix, fn) }

// apply collects the writes in an overlay and applies them only if all
// were reported, so a failed commit leaves nothing behind.
func (m memKV) apply(writes func(set func(k, v []byte) error, del func(k []byte) error) error) error {
	o := subnet.NewOverlay(m.m)
	if err := writes(
		func(k, v []byte) error { o.Set(k, v); return nil },
		func(k []byte) error { o.Delete(k); return nil }); err != nil {
		return err
	}
	m.m.Apply(o)
	return nil
}

func (m memKV) close() error { return nil }

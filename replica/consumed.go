package replica

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/chainkey/chainkey/ecdsa"
)

// consumptionLog records the presignatures this node has used, so that it
// never makes a second share with one, even after a restart. It is an
// append-only file (mode 0600) of records
//
//	len u16 | id | crc32c(id) u32
//
// each appended and synced before Consume returns. A torn last record (the
// node killed during the write) is cut off when the log is opened: its
// share never left the node, because Consume had not returned.
type consumptionLog struct {
	mu     sync.Mutex
	f      *os.File
	used   map[string]bool
	broken error // a failed append: the file may end in a partial record
}

const consumptionLogFile = "consumed.log"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// openConsumptionLog opens (creating it if needed) the log in dir. Marker
// files of an older layout (dir/consumed/<hex id>) are read too.
func openConsumptionLog(dir string) (*consumptionLog, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("replica: consumption log: %w", err)
	}
	path := filepath.Join(dir, consumptionLogFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("replica: consumption log: %w", err)
	}
	if err := checkSecretMode(path); err != nil {
		f.Close()
		return nil, err
	}
	l := &consumptionLog{f: f, used: map[string]bool{}}
	raw, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("replica: consumption log: %w", err)
	}
	good := 0
	for rest := raw; len(rest) >= 2; {
		n := int(binary.BigEndian.Uint16(rest))
		if len(rest) < 2+n+4 {
			break
		}
		id := rest[2 : 2+n]
		if crc32.Checksum(id, crcTable) != binary.BigEndian.Uint32(rest[2+n:]) {
			break
		}
		l.used[string(id)] = true
		good += 2 + n + 4
		rest = rest[2+n+4:]
	}
	if good != len(raw) {
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, fmt.Errorf("replica: consumption log: cut torn record: %w", err)
		}
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("replica: consumption log: %w", err)
	}
	if names, err := os.ReadDir(filepath.Join(dir, "consumed")); err == nil {
		for _, e := range names {
			if id, err := hex.DecodeString(e.Name()); err == nil {
				l.used[string(id)] = true
			}
		}
	}
	return l, nil
}

// Consume records id as used, durably, and fails with
// ecdsa.ErrPresignatureReused if it already was.
func (l *consumptionLog) Consume(id []byte) error {
	if len(id) == 0 || len(id) > 0xffff {
		return errors.New("replica: presignature id length out of range")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.used[string(id)] {
		return fmt.Errorf("replica: presignature %q: %w", id, ecdsa.ErrPresignatureReused)
	}
	if l.broken != nil {
		// Appending after a partial record would hide every later record
		// when the log is read again.
		return fmt.Errorf("replica: consumption log unusable until restart: %w", l.broken)
	}
	if _, err := l.f.Write(appendRecord(nil, id)); err != nil {
		l.broken = err
		return fmt.Errorf("replica: consumption log: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		l.broken = err
		return fmt.Errorf("replica: consumption log: %w", err)
	}
	l.used[string(id)] = true
	return nil
}

// Used reports whether id was consumed.
func (l *consumptionLog) Used(id []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used[string(id)]
}

// Drop forgets id in memory once its presignature has left the state for
// good (its request was answered or expired): it can never be asked for
// again, and the file keeps it until the next compaction.
func (l *consumptionLog) Drop(id []byte) {
	l.mu.Lock()
	delete(l.used, string(id))
	l.mu.Unlock()
}

// Compact rewrites the log with only the ids keep reports, atomically
// (temporary file, fsync, rename, directory fsync), and forgets the others
// in memory. The node calls it at start with the presignatures still
// assigned to requests in its committed state: any other used
// presignature has left the state and can never be asked for again.
func (l *consumptionLog) Compact(keep func(id []byte) bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var buf []byte
	for id := range l.used {
		if !keep([]byte(id)) {
			delete(l.used, id)
			continue
		}
		buf = appendRecord(buf, []byte(id))
	}
	path := l.f.Name()
	if err := writeSecretFile(path, buf); err != nil {
		return fmt.Errorf("replica: compact consumption log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("replica: compact consumption log: %w", err)
	}
	l.f.Close()
	l.f = f
	// Marker files of the older layout are in the new file if still needed.
	if err := os.RemoveAll(filepath.Join(filepath.Dir(path), "consumed")); err != nil {
		return fmt.Errorf("replica: compact consumption log: %w", err)
	}
	return nil
}

func appendRecord(b, id []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(id)))
	b = append(b, id...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(id, crcTable))
}

// Close closes the log file.
func (l *consumptionLog) Close() error { return l.f.Close() }

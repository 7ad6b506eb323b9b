package adapter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/wire"
)

// headerStore persists validated headers in an append-only file:
//
//	"CKHDRS1\n" ‖ network magic (u32 little-endian) ‖ 80-byte headers…
//
// Headers are appended in acceptance order, so every header's parent comes
// before it. Each batch is written with one write and fsynced. A crash can
// only leave a torn tail; on open every record is re-validated and the file
// is truncated after the last good one, so restarts never resync from
// scratch and never trust a damaged record.
type headerStore struct {
	f    *os.File
	path string
}

var storeMagic = []byte("CKHDRS1\n")

const storeHeaderLen = 12

func openHeaderStore(dir string, net wire.BitcoinNet) (*headerStore, [][]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("adapter: header store: %w", err)
	}
	path := filepath.Join(dir, "headers.dat")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("adapter: header store: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("adapter: header store: read %s: %w", path, err)
	}
	want := append(append([]byte(nil), storeMagic...), binary.LittleEndian.AppendUint32(nil, uint32(net))...)
	if len(data) == 0 {
		if _, err := f.Write(want); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("adapter: header store: %w", err)
		}
		return &headerStore{f: f, path: path}, nil, f.Sync()
	}
	if len(data) < storeHeaderLen || !bytes.Equal(data[:storeHeaderLen], want) {
		f.Close()
		return nil, nil, errors.New("adapter: header store: " + path + " belongs to another network or is not a header file")
	}
	body := data[storeHeaderLen:]
	recs := make([][]byte, 0, len(body)/80)
	for len(body) >= 80 {
		recs = append(recs, body[:80])
		body = body[80:]
	}
	return &headerStore{f: f, path: path}, recs, nil
}

// truncate keeps the first n records (after a torn or invalid tail).
func (s *headerStore) truncate(n int) error {
	size := int64(storeHeaderLen + 80*n)
	if err := s.f.Truncate(size); err != nil {
		return fmt.Errorf("adapter: header store: truncate: %w", err)
	}
	return s.f.Sync()
}

// append writes headers at the end of the file and syncs.
func (s *headerStore) append(hs []*wire.BlockHeader) error {
	if len(hs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	for _, h := range hs {
		_ = h.Serialize(&buf)
	}
	if _, err := s.f.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("adapter: header store: %w", err)
	}
	if _, err := s.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("adapter: header store: %w", err)
	}
	return s.f.Sync()
}

func (s *headerStore) close() error { return s.f.Close() }

package replica

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrInsecureFile is returned (wrapped) when a file holding secret material
// is readable or writable by the group or by others.
var ErrInsecureFile = errors.New("replica: secret file is accessible to group or others (want mode 0600)")

// writeSecretFile writes data to path with mode 0600, atomically (temporary
// file, fsync, rename, fsync of the directory).
func writeSecretFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("replica: create secrets directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replica: write secret %s: %w", filepath.Base(path), err)
	}
	return syncDir(dir)
}

// removeSecretFile deletes path and makes the deletion durable before it
// returns; a missing file is not an error.
func removeSecretFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replica: delete secret %s: %w", filepath.Base(path), err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("replica: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("replica: sync directory: %w", err)
	}
	return nil
}

// readSecretFile reads a secret file after checking that only its owner
// can access it. The content is never logged.
func readSecretFile(path string) ([]byte, error) {
	if err := checkSecretMode(path); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("replica: read secret %s: %w", path, err)
	}
	return b, nil
}

// checkSecretMode refuses a file whose permissions let the group or others
// read or write it.
func checkSecretMode(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("replica: secret file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("replica: secret file %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %#o; run chmod 600 %s", ErrInsecureFile, path, perm, path)
	}
	return nil
}

package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/chainkey/chainkey/thresholdsig"
)

// The files a running "chainkey up" (or "chainkey node") keeps in its home.
const (
	// homeLockFile is held with flock(2) by the process running the home;
	// it contains that process's pid.
	homeLockFile = "chainkey.lock"
	// localSubnetFile holds the upOutput of the running local subnet, so
	// that client commands find its endpoints and root key by default.
	localSubnetFile = "subnet.json"
	// fallbackEndpoint is the first node's gRPC address as "chainkey init"
	// writes it.
	fallbackEndpoint = "127.0.0.1:50051"
)

// homeLock is an exclusive hold on a subnet or node home.
type homeLock struct{ f *os.File }

// lockHome takes the home directory for this process, or says which process
// holds it.
func lockHome(dir string) (*homeLock, error) {
	path := filepath.Join(dir, homeLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
					holder = fmt.Sprintf("another chainkey process (pid %d; stop it with Ctrl-C in its terminal or kill -INT %d)", pid, pid)
				}
			}
			return nil, fmt.Errorf("%s is in use by %s", dir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &homeLock{f: f}, nil
}

// release gives the home up.
func (l *homeLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}

// writeLocalSubnet records a running local subnet's endpoints in its home.
func writeLocalSubnet(home string, out upOutput) error {
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	tmp := filepath.Join(home, localSubnetFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record endpoints: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(home, localSubnetFile)); err != nil {
		return fmt.Errorf("record endpoints: %w", err)
	}
	return nil
}

// removeLocalSubnet forgets the endpoints of a stopped local subnet.
func removeLocalSubnet(home string) { _ = os.Remove(filepath.Join(home, localSubnetFile)) }

// runningLocalSubnet returns the local subnet that "chainkey up" runs in
// home, if its process is still alive.
func runningLocalSubnet(home string) (*upOutput, bool) {
	b, err := os.ReadFile(filepath.Join(home, localSubnetFile))
	if err != nil {
		return nil, false
	}
	var out upOutput
	if err := json.Unmarshal(b, &out); err != nil || len(out.GRPC) == 0 || out.PID <= 0 {
		return nil, false
	}
	if err := syscall.Kill(out.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil, false // left behind by a process that was killed
	}
	return &out, true
}

// nodeTarget is where a client command sends its requests.
type nodeTarget struct {
	// Endpoints are gRPC host:port addresses.
	Endpoints []string
	// RootKey is the subnet's DER root key when it is known without asking
	// the node: from --root-key or from the running local subnet.
	RootKey []byte
	// Local says the endpoints came from a running "chainkey up".
	Local bool
}

// resolveTarget turns the --endpoint and --root-key flags into a target. An
// empty --endpoint means the local subnet that "chainkey up" runs in its
// default home, and otherwise the first node of "chainkey init"
// (127.0.0.1:50051). A malformed --root-key is refused here, before anything
// is signed or sent.
func resolveTarget(endpointFlag, rootKeyHex string) (*nodeTarget, error) {
	t := &nodeTarget{}
	if rootKeyHex != "" {
		k, err := parseRootKeyHex(rootKeyHex)
		if err != nil {
			return nil, err
		}
		t.RootKey = k
	}
	if endpointFlag != "" {
		for _, ep := range strings.Split(endpointFlag, ",") {
			if ep = strings.TrimSpace(ep); ep != "" {
				t.Endpoints = append(t.Endpoints, ep)
			}
		}
		if len(t.Endpoints) == 0 {
			return nil, fmt.Errorf("--endpoint %q names no address", endpointFlag)
		}
		return t, nil
	}
	if home, err := defaultUpHome(); err == nil {
		if out, ok := runningLocalSubnet(home); ok {
			t.Endpoints, t.Local = out.GRPC, true
			if t.RootKey == nil {
				if k, err := hex.DecodeString(out.RootKey); err == nil {
					t.RootKey = k
				}
			}
			return t, nil
		}
	}
	t.Endpoints = []string{fallbackEndpoint}
	return t, nil
}

// endpointHelp is the --endpoint flag's help text of the client commands.
const endpointHelp = `node gRPC endpoint host:port (default: the running "chainkey up" subnet, else ` + fallbackEndpoint + `)`

// cliName is how the user runs this command: "chainkey", or
// "go run ./cmd/chainkey" when it was started by go run (whose binary lives
// in an exe directory of a temporary build directory).
func cliName() string {
	if exe, err := os.Executable(); err == nil && isGoRunBinary(exe) {
		return "go run ./cmd/chainkey"
	}
	return "chainkey"
}

// isGoRunBinary reports whether exe is a binary that go run built.
func isGoRunBinary(exe string) bool {
	exe = filepath.ToSlash(exe)
	return strings.Contains(exe, "/go-build") && filepath.Base(filepath.Dir(exe)) == "exe"
}

// parseRootKeyHex decodes and checks a subnet root key given in hex (the
// 133-byte DER form "chainkey up" prints).
func parseRootKeyHex(s string) ([]byte, error) {
	k, err := blsDecodeHex("root-key", s)
	if err != nil {
		return nil, err
	}
	if _, err := thresholdsig.ParseDERPublicKey(k); err != nil {
		return nil, fmt.Errorf("--root-key: %w", err)
	}
	return k, nil
}

// stopWithParentEnv, when set in the environment, makes "chainkey up" and
// "chainkey node" stop when the process that started them dies (test
// harnesses set it so that no node outlives a killed test).
const stopWithParentEnv = "CHAINKEY_STOP_WITH_PARENT"

// stopWithParent makes this process receive SIGTERM when the process that
// started it dies, when that is "go run" or when CHAINKEY_STOP_WITH_PARENT
// is set: killing the parent then stops the subnet cleanly instead of
// leaving its nodes running.
func stopWithParent() {
	if cliName() == "chainkey" && os.Getenv(stopWithParentEnv) == "" {
		return
	}
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0, 0, 0)
	if os.Getppid() == 1 {
		// The parent died before the request took effect.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}

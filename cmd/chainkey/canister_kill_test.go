package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica"
)

// killCounterWAT is the canister of TestSIGKILLCanisterWorkload: inc adds
// one to a counter in memory and replies with the new value (8 bytes,
// little-endian); get answers it as a query.
const killCounterWAT = `(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1)
  (func $answer (call $append (i32.const 0) (i32.const 8)) (call $reply))
  (func (export "canister_update inc")
    (i64.store (i32.const 0) (i64.add (i64.load (i32.const 0)) (i64.const 1)))
    (call $answer))
  (func (export "canister_query get") (call $answer)))`

// TestSIGKILLCanisterWorkload deploys a Wasm counter to four `chainkey
// node` processes through the IC HTTP interface, sends update calls
// through every node from four clients at once, kills node 3 with SIGKILL
// in the middle and restarts it, and goes on. Every call acknowledged
// with a certified reply is in the final state exactly once (the
// replies are distinct values, the final counter is at least their
// number and at most that plus the calls left without an answer), every
// node answers the same counter, the restarted node serves queries and
// calls again, and every node's own state hash at its latest height is
// the one the subnet agreed on.
func TestSIGKILLCanisterWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-node subnet")
	}
	began := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(began).Seconds(), what) }
	wasm, err := wasmtime.Wat2Wasm(killCounterWAT)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := chainkeyBinary(t)
	out, err := exec.Command(bin, "init", "--nodes", "4", "--out", filepath.Join(dir, "subnet")).Output()
	if err != nil {
		t.Fatalf("chainkey init: %v", err)
	}
	phase("built")
	var ini initOutput
	if err := json.Unmarshal(out, &ini); err != nil || len(ini.Nodes) != 4 {
		t.Fatalf("init printed %q: %v", out, err)
	}
	ports := make([]int, 4)
	rpcs := make([]int, 4)
	for i, n := range ini.Nodes {
		ports[i], rpcs[i] = btcdtest.FreePort(t), btcdtest.FreePort(t)
		c, err := replica.LoadConfig(n.Home)
		if err != nil {
			t.Fatal(err)
		}
		c.RPCListen = fmt.Sprintf("127.0.0.1:%d", rpcs[i])
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
	}
	procs := make([]*exec.Cmd, 4)
	start := func(i int) {
		logf, err := os.OpenFile(filepath.Join(ini.Nodes[i].Home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "node", "--home", ini.Nodes[i].Home, "--http", fmt.Sprintf("127.0.0.1:%d", ports[i]))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = cmd
	}
	kill := func(i int) {
		if procs[i] != nil && procs[i].ProcessState == nil {
			_ = procs[i].Process.Kill() // SIGKILL
			_ = procs[i].Wait()
		}
	}
	for i := range ports {
		start(i)
	}
	t.Cleanup(func() {
		for i := range procs {
			kill(i)
		}
		if t.Failed() {
			for _, n := range ini.Nodes {
				b, _ := os.ReadFile(filepath.Join(n.Home, "node.log"))
				t.Logf("%s log tail:\n%s", n.Home, tail(b, 2000))
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	key, _ := ingress.GenerateEd25519()
	dial := func(i int) *agent.Agent {
		var a *agent.Agent
		wait(fmt.Sprintf("node %d's HTTP interface", i), func() bool {
			var err error
			a, err = agent.New(ctx, agent.Config{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[i]), Identity: key})
			return err == nil
		})
		return a
	}
	a0 := dial(0)
	var created canisterIDArg
	wait("canister creation", func() bool {
		return manage(ctx, a0, "provisional_create_canister_with_cycles", struct{}{}, &created) == nil
	})
	can := created.CanisterID
	phase("canister created")
	in := installArgs{CanisterID: can, Wasm: wasm, Arg: []byte("DIDL\x00\x00")}
	in.Mode.Install = &candid.Null{}
	if err := manage(ctx, a0, "install_code", in, nil); err != nil {
		t.Fatal(err)
	}
	get := func(a *agent.Agent) (uint64, error) {
		r, err := a.Query(ctx, can, "get", nil)
		if err != nil {
			return 0, err
		}
		if len(r) != 8 {
			return 0, fmt.Errorf("get replied %x", r)
		}
		return binary.LittleEndian.Uint64(r), nil
	}

	// The workload: one client per node, each sending calls one after
	// another until told to stop.
	var (
		mu      sync.Mutex
		acked   = map[uint64]int{} // reply value -> node
		unacked int
	)
	agents := []*agent.Agent{a0, dial(1), dial(2), dial(3)}
	var agentsMu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				agentsMu.Lock()
				a := agents[i]
				agentsMu.Unlock()
				cctx, ccancel := context.WithTimeout(ctx, 20*time.Second)
				r, err := a.Call(cctx, can, "inc", nil)
				ccancel()
				mu.Lock()
				if err != nil || len(r) != 8 {
					unacked++
					mu.Unlock()
					time.Sleep(200 * time.Millisecond)
					continue
				}
				v := binary.LittleEndian.Uint64(r)
				if prev, dup := acked[v]; dup {
					mu.Unlock()
					t.Errorf("value %d acknowledged twice (nodes %d and %d)", v, prev, i)
					return
				}
				acked[v] = i
				mu.Unlock()
			}
		}()
	}
	ackedN := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(acked)
	}
	wait("calls before the kill", func() bool { return ackedN() >= 12 })
	phase("killing node 3")
	kill(3)
	atKill := ackedN()
	wait("calls while node 3 is down", func() bool { return ackedN() >= atKill+12 })
	phase("restarting node 3")
	start(3)
	agentsMu.Lock()
	agents[3] = dial(3)
	agentsMu.Unlock()
	// Node 3 answers its client again.
	mu.Lock()
	from3 := 0
	for _, n := range acked {
		if n == 3 {
			from3++
		}
	}
	mu.Unlock()
	wait("calls through the restarted node", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, x := range acked {
			if x == 3 {
				n++
			}
		}
		return n >= from3+3
	})
	phase("node 3 answers calls again")
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}

	// Every node reaches the same counter.
	var final uint64
	wait("the same counter on every node", func() bool {
		var vals []uint64
		for _, a := range agents {
			v, err := get(a)
			if err != nil {
				return false
			}
			vals = append(vals, v)
		}
		final = vals[0]
		return vals[1] == final && vals[2] == final && vals[3] == final
	})
	mu.Lock()
	n, lost := len(acked), unacked
	for v := range acked {
		if v == 0 || v > final {
			t.Errorf("acknowledged value %d beyond the final counter %d", v, final)
		}
	}
	mu.Unlock()
	if final < uint64(n) || final > uint64(n+lost) {
		t.Fatalf("final counter %d with %d acknowledged and %d unanswered calls", final, n, lost)
	}
	t.Logf("%d calls acknowledged, %d without an answer, counter %d", n, lost, final)

	phase("same counter everywhere")
	// Each node's own state hash is the agreed one: the app hash it
	// computed at its last height is in the next block's header.
	for i := range rpcs {
		var info struct {
			Result struct {
				Response struct {
					Height  string `json:"last_block_height"`
					AppHash string `json:"last_block_app_hash"`
				} `json:"response"`
			} `json:"result"`
		}
		wait(fmt.Sprintf("node %d's abci_info", i), func() bool { return rpcGet(rpcs[i], "abci_info", &info) == nil })
		own, _ := base64.StdEncoding.DecodeString(info.Result.Response.AppHash)
		var blk struct {
			Result struct {
				Block struct {
					Header struct {
						AppHash string `json:"app_hash"`
					} `json:"header"`
				} `json:"block"`
			} `json:"result"`
		}
		var h int64
		fmt.Sscan(info.Result.Response.Height, &h)
		wait(fmt.Sprintf("block %d", h+1), func() bool {
			return rpcGet(rpcs[0], fmt.Sprintf("block?height=%d", h+1), &blk) == nil && blk.Result.Block.Header.AppHash != ""
		})
		if !strings.EqualFold(blk.Result.Block.Header.AppHash, hex.EncodeToString(own)) || len(own) == 0 {
			t.Fatalf("node %d at height %d: own app hash %x, agreed %s", i, h, own, blk.Result.Block.Header.AppHash)
		}
	}
}

// rpcGet reads a CometBFT RPC endpoint's JSON result.
func rpcGet(port int, path string, v any) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/%s", port, path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

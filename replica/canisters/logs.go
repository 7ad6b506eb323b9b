package canisters

import (
	"github.com/chainkey/chainkey/execution"
)

// maxLogBytes bounds the content of a canister's kept log records, as the
// IC's 4 KiB; the oldest records go first.
const maxLogBytes = 4 << 10

// maxLogRecords bounds the number of kept records (records of no content
// count against it alone).
const maxLogRecords = 1024

// canisterLog is a canister's recent log records: the debug_print output
// and traps of its replicated executions, numbered from 0. They are part
// of the canister's persisted state (every node records the same ones),
// so they survive a restart.
type canisterLog struct {
	Next    uint64      `cbor:"1,keyasint"`
	Records []logRecord `cbor:"2,keyasint"`
	size    int
}

// keepLog records an execution's debug_print lines and trap.
func (c *Component) keepLog(e *entry, r *execution.Result) {
	if r == nil || (len(r.Log) == 0 && r.Trap == nil) {
		return
	}
	l := e.log
	if l == nil {
		l = &canisterLog{}
		e.log = l
	}
	add := func(s string) {
		if len(s) > maxLogBytes {
			s = s[:maxLogBytes]
		}
		l.Records = append(l.Records, logRecord{Idx: l.Next, Timestamp: c.round.TimeNS, Content: []byte(s)})
		l.Next++
		l.size += len(s)
		n := 0
		for l.size > maxLogBytes || len(l.Records)-n > maxLogRecords {
			l.size -= len(l.Records[n].Content)
			n++
		}
		if n > 0 {
			l.Records = append([]logRecord(nil), l.Records[n:]...)
		}
	}
	for _, s := range r.Log {
		add(s)
	}
	if r.Trap != nil {
		add("[TRAP]: " + r.Trap.Msg)
	}
	e.logDirty = true
	c.dirty[string(e.id.Bytes())] = true
}

// logsOf returns a copy of a canister's log records.
func (c *Component) logsOf(id []byte) []logRecord {
	e := c.cans[string(id)]
	if e == nil || e.log == nil {
		return []logRecord{}
	}
	return append([]logRecord{}, e.log.Records...)
}

package canisters

import (
	"github.com/chainkey/chainkey/execution"
)

// maxLogBytes bounds the content of a canister's kept log records, as the
// IC's 4 KiB; the oldest records go first.
const maxLogBytes = 4 << 10

// canisterLog is a canister's recent log records: the debug_print output
// and traps of its replicated executions, numbered from 0. It is kept in
// memory only (a node that restarts starts with empty logs): logs are read
// by queries, which no other node checks.
type canisterLog struct {
	next    uint64
	size    int
	records []logRecord
}

// keepLog records an execution's debug_print lines and trap.
func (c *Component) keepLog(e *entry, r *execution.Result) {
	if r == nil || (len(r.Log) == 0 && r.Trap == nil) {
		return
	}
	if c.logs == nil {
		c.logs = map[string]*canisterLog{}
	}
	key := string(e.id.Bytes())
	l := c.logs[key]
	if l == nil {
		l = &canisterLog{}
		c.logs[key] = l
	}
	add := func(s string) {
		if len(s) > maxLogBytes {
			s = s[:maxLogBytes]
		}
		l.records = append(l.records, logRecord{Idx: l.next, Timestamp: c.round.TimeNS, Content: []byte(s)})
		l.next++
		l.size += len(s)
		for l.size > maxLogBytes {
			l.size -= len(l.records[0].Content)
			l.records = l.records[1:]
		}
	}
	for _, s := range r.Log {
		add(s)
	}
	if r.Trap != nil {
		add("[TRAP]: " + r.Trap.Msg)
	}
}

// logsOf returns a copy of a canister's log records.
func (c *Component) logsOf(id []byte) []logRecord {
	l := c.logs[string(id)]
	if l == nil {
		return []logRecord{}
	}
	return append([]logRecord{}, l.records...)
}

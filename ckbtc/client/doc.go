// Package client calls a subnet's ckBTC ledger and minter through any
// transport that makes IC update calls and queries with Candid messages
// (package agent over the IC HTTP interface, or a node's own API): the
// deposit address, update_balance, balances, ICRC-1 transfers, ICRC-2
// approvals, withdrawals with retrieve_btc_with_approval and their status.
package client

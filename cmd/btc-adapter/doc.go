// Command btc-adapter runs the Bitcoin adapter beside a chainkey node: it
// connects to Bitcoin peers (configured ones, or the network's DNS seeds),
// syncs and validates block headers, persists them under the data
// directory, downloads the blocks the node asks for and broadcasts its
// transactions, and serves the Internet Computer's btc_service.v1
// BtcService over a Unix socket or TCP.
//
//	btc-adapter --network regtest --peer 127.0.0.1:18444 --data-dir ./btc --listen unix:///run/chainkey/btc-adapter.sock
package main

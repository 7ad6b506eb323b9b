// Runs a ledger scenario with @dfinity/ledger-icrc; see README.md.
import readline from "node:readline";
import { IDL } from "@dfinity/candid";
import { Principal } from "@dfinity/principal";
import {
  IcrcLedgerCanister,
  toTransferArg,
  toApproveArgs,
  toTransferFromArgs,
  encodeIcrcAccount,
  decodeIcrcAccount,
} from "@dfinity/ledger-icrc";
import { idlFactory } from "@dfinity/ledger-icrc/dist/candid/icrc_ledger.idl.js";

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function ask(req) {
  process.stdout.write(JSON.stringify(req) + "\n");
  const { value, done } = await lines.next();
  if (done) throw new Error("the test closed the bridge");
  return JSON.parse(value);
}
const hex = (b) => Buffer.from(b).toString("hex");
const unhex = (h) => new Uint8Array(Buffer.from(h, "hex"));
// JSON with bigints as strings, principals as text, bytes as hex.
const plain = (v) =>
  JSON.parse(
    JSON.stringify(v, (_, x) => {
      if (typeof x === "bigint") return x.toString();
      if (x instanceof Principal) return x.toText();
      if (x instanceof Uint8Array) return hex(x);
      if (x && typeof x === "object" && typeof x.__principal__ === "string") return x.__principal__;
      return x;
    }),
  );

const agent = {
  rootKey: null,
  async query(_canisterId, { methodName, arg }) {
    const r = await ask({ kind: "query", method: methodName, arg: hex(arg) });
    if (r.reject !== undefined) {
      return { status: "rejected", reject_code: 5, reject_message: r.reject, error_code: "IC0503", httpDetails: {} };
    }
    return { status: "replied", reply: { arg: unhex(r.reply) }, httpDetails: {} };
  },
  async getPrincipal() {
    return Principal.anonymous();
  },
};

const service = idlFactory({ IDL });
const fns = Object.fromEntries(service._fields);
async function update(caller, method, arg) {
  const f = fns[method];
  const r = await ask({ kind: "call", caller, method, arg: hex(IDL.encode(f.argTypes, [arg])) });
  if (r.reject !== undefined) return { reject: r.reject };
  return IDL.decode(f.retTypes, unhex(r.reply))[0];
}
async function query(method, args) {
  const f = fns[method];
  const r = await ask({ kind: "query", method, arg: hex(IDL.encode(f.argTypes, args)) });
  if (r.reject !== undefined) return { reject: r.reject };
  return IDL.decode(f.retTypes, unhex(r.reply))[0];
}

const init = await ask({ kind: "init" });
const alice = Principal.fromText(init.alice);
const bob = Principal.fromText(init.bob);
const acct = (owner) => ({ owner, subaccount: [] });
const out = {};

const ledger = IcrcLedgerCanister.create({ agent, canisterId: Principal.fromText(init.ledger) });
out.metadata = await ledger.metadata({ certified: false });
out.fee = await ledger.transactionFee({ certified: false });
out.aliceBefore = await ledger.balance({ owner: alice, certified: false });
out.mintingAccount = await ledger.getMintingAccount({ certified: false });

const now = BigInt(init.now);
const transfer = toTransferArg({ to: acct(bob), amount: 25_000n, memo: new Uint8Array([1, 2, 3]), created_at_time: now });
out.transfer = await update(init.alice, "icrc1_transfer", transfer);
out.duplicate = await update(init.alice, "icrc1_transfer", transfer);
out.badFee = await update(init.alice, "icrc1_transfer", toTransferArg({ to: acct(bob), amount: 1n, fee: 11n }));
out.badBurn = await update(init.bob, "icrc1_transfer", toTransferArg({ to: acct(Principal.fromText(init.minter)), amount: 1n }));
out.approve = await update(
  init.alice,
  "icrc2_approve",
  toApproveArgs({ spender: acct(bob), amount: 5_000n, expires_at: now + 3_600_000_000_000n }),
);
out.allowance = await ledger.allowance({ account: acct(alice), spender: acct(bob), certified: false });
out.transferFrom = await update(init.bob, "icrc2_transfer_from", toTransferFromArgs({ from: acct(alice), to: acct(bob), amount: 1_000n }));
out.insufficientAllowance = await update(init.bob, "icrc2_transfer_from", toTransferFromArgs({ from: acct(alice), to: acct(bob), amount: 10_000n }));
out.selfApproval = await update(init.alice, "icrc2_approve", toApproveArgs({ spender: acct(alice), amount: 1n }));
out.aliceAfter = await ledger.balance({ owner: alice, certified: false });
out.bobAfter = await ledger.balance({ owner: bob, certified: false });
out.totalSupply = await ledger.totalTokensSupply({ certified: false });
out.blocks = await ledger.getBlocks({ args: [{ start: 0n, length: 100n }], certified: false });
out.getBlocks = await query("get_blocks", [{ start: 1n, length: 1n }]);
out.transactions = await query("get_transactions", [{ start: 0n, length: 100n }]);
out.tip = await query("icrc3_get_tip_certificate", []);
out.dataCertificate = await query("get_data_certificate", []);
out.standards = await query("icrc1_supported_standards", []);
out.blockTypes = await query("icrc3_supported_block_types", []);
out.archives = await query("icrc3_get_archives", [{ from: [] }]);
out.accountText = encodeIcrcAccount({ owner: alice, subaccount: unhex(init.subaccount) });
out.accountBack = decodeIcrcAccount(init.accountText);
await ask({ kind: "done", result: plain(out) });
process.exit(0);

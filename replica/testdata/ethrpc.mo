// A canister that asks an Ethereum JSON-RPC server through the management
// canister's http_request (HTTPS outcalls). Its transform keeps only the
// status and the JSON-RPC "result" value of the response: the headers and
// the rest of the body (the request id, a server's varying fields) are
// dropped, so that every node reports the same response.
import Prim "mo:⛔";

persistent actor {
  type HttpHeader = { name : Text; value : Text };
  type HttpResult = { status : Nat; headers : [HttpHeader]; body : Blob };
  type TransformArgs = { response : HttpResult; context : Blob };
  type HttpArgs = {
    url : Text;
    max_response_bytes : ?Nat64;
    method : { #get; #head; #post; #put; #delete };
    headers : [HttpHeader];
    body : ?Blob;
    transform : ?{
      function : shared query TransformArgs -> async HttpResult;
      context : Blob;
    };
    is_replicated : ?Bool;
  };

  transient let ic = actor "aaaaa-aa" : actor {
    http_request : HttpArgs -> async HttpResult;
  };

  // result returns the JSON-RPC result of a body: the text after
  // "result": up to the next comma or closing brace, without quotes.
  func result(body : Text) : Text {
    let pattern = "\"result\":";
    var matched = 0;
    var found = false;
    var out = "";
    label scan for (c in body.chars()) {
      if (found) {
        if (c == ',' or c == '}') { break scan };
        if (c != '\"') { out #= Prim.charToText(c) };
      } else {
        var k = 0;
        var want = ' ';
        for (p in pattern.chars()) {
          if (k == matched) { want := p };
          k += 1;
        };
        if (c == want) {
          matched += 1;
          if (matched == pattern.size()) { found := true };
        } else if (c == '\"') {
          matched := 1;
        } else {
          matched := 0;
        };
      };
    };
    out;
  };

  public query func transform(args : TransformArgs) : async HttpResult {
    let text = switch (Prim.decodeUtf8(args.response.body)) {
      case null { "" };
      case (?t) { t };
    };
    {
      status = args.response.status;
      headers = [];
      body = Prim.encodeUtf8(result(text));
    };
  };

  // rpc posts a JSON-RPC request to url and returns its result.
  public func rpc(url : Text, request : Text) : async Text {
    let r = await (with cycles = 0) ic.http_request({
      url;
      max_response_bytes = ?4_000;
      method = #post;
      headers = [{ name = "Content-Type"; value = "application/json" }];
      body = ?Prim.encodeUtf8(request);
      transform = ?{ function = transform; context = "" };
      is_replicated = null;
    });
    switch (Prim.decodeUtf8(r.body)) {
      case null { "" };
      case (?t) { t };
    };
  };

  // rpcOnce is rpc as a non-replicated outcall: one node of the subnet
  // sends the request, and its transformed response is the answer.
  public func rpcOnce(url : Text, request : Text) : async Text {
    let r = await ic.http_request({
      url;
      max_response_bytes = ?4_000;
      method = #post;
      headers = [{ name = "Content-Type"; value = "application/json" }];
      body = ?Prim.encodeUtf8(request);
      transform = ?{ function = transform; context = "" };
      is_replicated = ?false;
    });
    switch (Prim.decodeUtf8(r.body)) {
      case null { "" };
      case (?t) { t };
    };
  };

  // fetch gets url without a transform and returns the status and body.
  public func fetch(url : Text, max : Nat64) : async (Nat, Blob) {
    let r = await ic.http_request({
      url;
      max_response_bytes = ?max;
      method = #get;
      headers = [];
      body = null;
      transform = null;
      is_replicated = null;
    });
    (r.status, r.body);
  };
};

// "Kiểm tra phiếu của tôi": checks a .tlog-proof in the browser, trusting nothing but the file
// and the log's key. The checkpoint's Ed25519 signature (C2SP signed-note) is verified with
// WebCrypto, the entry is hashed as an RFC 6962 leaf and walked up its inclusion path (RFC 9162
// section 2.1.3.2) to the checkpoint's root, and, if the citizen types their receipt, its hash
// must be the entry's. The same checks as `hailong proof verify` (app/transparency/).
(function () {
  "use strict";

  var enc = new TextEncoder();

  // Errors of the proof itself, said in Vietnamese; anything else is "tệp không đọc được".
  function fail(reason) { var error = new Error(reason); error.vi = true; throw error; }

  function b64(text) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) { fail("dữ liệu base64 hỏng"); }
    var raw = atob(text), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function join() {
    var size = 0, i;
    for (i = 0; i < arguments.length; i++) { size += arguments[i].length; }
    var out = new Uint8Array(size), at = 0;
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }

  function same(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }

  async function parseKey(vkey) {
    var parts = vkey.trim().split("+");
    if (parts.length < 3) { fail("khóa của sổ không đúng dạng"); }
    var blob = b64(parts.slice(2).join("+")), name = parts[0];
    if (blob.length !== 33 || blob[0] !== 1 || !/^[0-9a-f]{8}$/.test(parts[1])) { fail("khóa của sổ không phải khóa Ed25519"); }
    var digest = await sha256(join(enc.encode(name + "\n"), blob));
    if (hex(digest.slice(0, 4)) !== parts[1]) { fail("khóa của sổ không khớp với tên của nó"); }
    var key = await crypto.subtle.importKey("raw", blob.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name: name, id: digest.slice(0, 4), key: key };
  }

  function parseProof(text) {
    var cut = text.indexOf("\n\n");
    if (cut < 0) { fail("tệp không phải tệp bằng chứng"); }
    var lines = text.slice(0, cut).split("\n"), note = text.slice(cut + 2);
    if (lines[0] !== "c2sp.org/tlog-proof@v1") { fail("tệp không phải tệp bằng chứng"); }
    var rest = lines.slice(1), extra = null;
    if (rest.length && rest[0].indexOf("extra ") === 0) { extra = b64(rest.shift().slice(6)); }
    if (!extra) { fail("tệp bằng chứng không mang nội dung phiếu"); }
    var m = /^index (0|[1-9][0-9]{0,15})$/.exec(rest.shift() || "");
    if (!m) { fail("tệp bằng chứng thiếu số thứ tự"); }
    var hashes = rest.map(b64);
    if (hashes.some(function (h) { return h.length !== 32; })) { fail("một mã băm của bằng chứng hỏng"); }
    return { extra: extra, index: Number(m[1]), hashes: hashes, note: note };
  }

  async function openCheckpoint(note, log) {
    var cut = note.indexOf("\n\n");
    if (cut < 0) { fail("điểm kiểm (checkpoint) không có chữ ký"); }
    var text = note.slice(0, cut + 1), body = enc.encode(text), signed = false, witnesses = 0;
    var sigs = note.slice(cut + 2).split("\n").filter(function (l) { return l; });
    for (var i = 0; i < sigs.length; i++) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(sigs[i]);
      if (!m) { fail("một dòng chữ ký hỏng"); }
      var sig = b64(m[2]);
      if (m[1] !== log.name || !same(sig.slice(0, 4), log.id)) { witnesses++; continue; }
      signed = signed || await crypto.subtle.verify({ name: "Ed25519" }, log.key, sig.slice(4), body);
    }
    if (!signed) { fail("điểm kiểm không được ký bằng khóa của sổ này"); }
    var head = text.split("\n");
    if (head[0] !== log.name || !/^(0|[1-9][0-9]{0,15})$/.test(head[1])) { fail("điểm kiểm của một sổ khác"); }
    var root = b64(head[2]);
    if (root.length !== 32) { fail("điểm kiểm hỏng"); }
    return { size: Number(head[1]), root: root, witnesses: witnesses };
  }

  async function node(left, right) { return sha256(join(new Uint8Array([1]), left, right)); }

  async function include(leaf, index, size, proof, root) {
    if (index >= size) { fail("số thứ tự nằm ngoài sổ"); }
    var fn = index, sn = size - 1, r = leaf;
    for (var i = 0; i < proof.length; i++) {
      if (sn === 0) { fail("bằng chứng dài hơn cần thiết"); }
      if (fn % 2 === 1 || fn === sn) {
        r = await node(proof[i], r);
        if (fn % 2 === 0) { while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = await node(r, proof[i]);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) { fail("bằng chứng thiếu mã băm"); }
    if (!same(r, root)) { fail("phiếu không dẫn tới gốc của điểm kiểm"); }
  }

  function day(iso) { var p = iso.split("-"); return p[2] + "/" + p[1] + "/" + p[0]; }

  function number(n) { return n.toLocaleString("vi-VN"); }

  async function verify(form) {
    if (!window.crypto || !crypto.subtle) { fail("trình duyệt chỉ kiểm tra được qua kết nối an toàn (https)"); }
    var file = form.proof.files[0];
    if (!file) { fail("xin chọn tệp bằng chứng"); }
    var proof = parseProof(await file.text());
    var log = await parseKey(form.key.value);
    var checkpoint = await openCheckpoint(proof.note, log);
    var leaf = await sha256(join(new Uint8Array([0]), proof.extra));
    await include(leaf, proof.index, checkpoint.size, proof.hashes, checkpoint.root);
    var entry = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(proof.extra));
    var receipt = form.receipt.value.toUpperCase().replace(/[^0-9A-Z]/g, "");
    if (receipt && hex(await sha256(enc.encode("hailong receipt " + receipt))) !== entry.receipt) {
      fail("mã phiếu đã nhập không phải mã của phiếu trong bằng chứng");
    }
    return [
      "Phiếu đánh giá ngày " + day(entry.day) + " tại đơn vị mã " + entry.office +
        " là mục thứ " + number(proof.index + 1) + " trong sổ gồm " + number(checkpoint.size) + " mục.",
      receipt ? "Mã phiếu Ông/Bà nhập khớp với phiếu này." : "Nhập mã phiếu để đối chiếu thêm mã của Ông/Bà.",
      checkpoint.witnesses ? "Điểm kiểm mang " + checkpoint.witnesses + " chữ ký của đơn vị chứng kiến." : ""
    ];
  }

  function show(box, ok, lines) {
    box.replaceChildren();
    var title = document.createElement("h2");
    title.textContent = ok ? "Bằng chứng hợp lệ" : "Bằng chứng không hợp lệ";
    box.className = ok ? "verify-ok" : "verify-bad";
    box.appendChild(title);
    lines.filter(function (l) { return l; }).forEach(function (line) {
      var p = document.createElement("p"); p.textContent = line; box.appendChild(p);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("verify-form"), box = document.getElementById("verify-result");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      verify(form).then(function (lines) { show(box, true, lines); }, function (error) {
        var reason = error && error.vi ? error.message : "tệp không đọc được";
        show(box, false, ["Lý do: " + reason + "."]);
      });
    });
  });
})();

// Part of trunk's post_build hook (scripts/post-build), before the
// JavaScript is minified: makes each wasm and its wasm-bindgen glue smaller
// where only a change to both files can.
//
// 1. Import names. wasm-bindgen names every import after its function plus
//    a 16-hex-digit hash (`__wbg_addEventListener_847fd86b8c33ec43`), once
//    in the wasm's import section and once in the glue's import object;
//    brotli compresses each file alone, so both copies of ~130 hashes were
//    paid for. Each such name becomes a short one in both files.
//    The same goes for the closures' hashed exports
//    (`wasm_bindgen__convert__closures_____invoke__h…`), each called once
//    from the glue.
//    The glue's one import module (`./<name>_bg.js`, named again by every
//    import) becomes `m`.
// 2. wasm-streams' exported classes (`IntoUnderlyingSource`, `…Sink`,
//    `…ByteSource`). Leptos always enables server_fn's browser client, which
//    links wasm-streams; its `#[wasm_bindgen]` classes are exports, so their
//    code stays in the wasm though nothing constructs them: the glue has no
//    `__wrap` for them (Rust never hands one to JavaScript) and the app
//    calls no server function. Their exports and classes go; binaryen then
//    drops the code only they reached.
// 3. Custom sections: `target_features` (read by wasm-bindgen, before this
//    step) and Leptos's `__wasm_split_unstable` (no code splitting here);
//    browsers ignore both.
//
// Every step checks what it expects and stops the build otherwise, so a
// new wasm-bindgen (pinned in Cargo.toml) cannot be trimmed wrongly.
// Integrity hashes in the shells are updated for both files.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  throw new Error("run by trunk as a post_build hook (TRUNK_STAGING_DIR unset)");
}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** Encodes `value` as an unsigned LEB128. */
function uleb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

/** A length-prefixed UTF-8 name. */
function name(text) {
  const bytes = Buffer.from(text, "utf8");
  return Buffer.concat([uleb(bytes.length), bytes]);
}

/** The module's sections: { id, body } in order. */
function sections(wasm) {
  const list = [];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = leb(wasm, at + 1);
    list.push({ id, body: wasm.subarray(start, start + size) });
    at = start + size;
  }
  return list;
}

function assemble(header, list) {
  return Buffer.concat([
    header,
    ...list.flatMap(({ id, body }) => [Buffer.from([id]), uleb(body.length), body]),
  ]);
}

/** Short, distinct names: a, b, …, Z, ba, bb, … */
function shortName(index) {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let text = "";
  do {
    text = letters[index % letters.length] + text;
    index = Math.floor(index / letters.length);
  } while (index);
  return "$" + text;
}

/** Renames the glue's hashed imports; returns the new import section. */
function renameImports(body, glue, glueModule) {
  let [count, at] = leb(body, 0);
  const entries = [uleb(count)];
  const renamed = new Map();
  let fromGlue = 0;
  for (let i = 0; i < count; i++) {
    const [moduleLength, moduleStart] = leb(body, at);
    // The module's name, with its length.
    let module = body.subarray(at, moduleStart + moduleLength);
    if (body.toString("utf8", moduleStart, moduleStart + moduleLength) === glueModule) {
      module = name(GLUE_MODULE);
      fromGlue++;
    }
    const [fieldLength, fieldStart] = leb(body, moduleStart + moduleLength);
    const field = body.toString("utf8", fieldStart, fieldStart + fieldLength);
    let end = fieldStart + fieldLength;
    const kind = body[end++];
    if (kind === 0) [, end] = leb(body, end); // function: type index
    else if (kind === 1) { end += 1; const flags = body[end++]; [, end] = leb(body, end); if (flags & 1) [, end] = leb(body, end); }
    else if (kind === 2) { const flags = body[end++]; [, end] = leb(body, end); if (flags & 1) [, end] = leb(body, end); }
    else if (kind === 3) end += 2; // global: type, mutability
    else throw new Error(`import ${field}: unknown kind ${kind}`);
    let newName = field;
    if (/^__wbg_\w+_[0-9a-f]{16}$/.test(field)) {
      newName = shortName(renamed.size);
      renamed.set(field, newName);
    }
    entries.push(module, name(newName), body.subarray(fieldStart + fieldLength, end));
    at = end;
  }
  for (const [old, short] of renamed) {
    const key = new RegExp(`\\b${old}: function\\(`, "g");
    const uses = glue.text.split(old).length - 1;
    if (uses !== 1 || (glue.text.match(key) || []).length !== 1) {
      throw new Error(`${glue.path}: expected ${old} once, as an import's key; found ${uses} uses`);
    }
    glue.text = glue.text.replace(key, `${short}: function(`);
  }
  if (renamed.size === 0) throw new Error("no wasm-bindgen import names found to shorten");
  if (fromGlue === 0) throw new Error(`no import from ${glueModule}`);
  glue.text = glue.text.replace(`"${glueModule}": import0,`, `${GLUE_MODULE}: import0,`);
  return Buffer.concat(entries);
}

/** The short name the glue's import module gets. */
const GLUE_MODULE = "m";

/** Custom sections nothing reads once wasm-bindgen has run. */
const UNREAD_SECTIONS = ["target_features", "__wasm_split_unstable"];

/** The name of custom section `body`. */
function customName(body) {
  const [length, start] = leb(body, 0);
  return body.toString("utf8", start, start + length);
}

const STREAM_CLASSES = ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

/**
 * Drops wasm-streams' exports and shortens the closures' hashed export
 * names in both files; returns the new export section.
 */
function trimExports(body, glue) {
  let [count, at] = leb(body, 0);
  const kept = [];
  let dropped = 0;
  let renamed = 0;
  for (let i = 0; i < count; i++) {
    const start = at;
    const [length, nameStart] = leb(body, at);
    const field = body.toString("utf8", nameStart, nameStart + length);
    [, at] = leb(body, nameStart + length + 1);
    if (/^(__wbg_)?intounderlying(bytesource|sink|source)_/.test(field)) {
      dropped++;
    } else if (/^wasm_bindgen__convert__closures_____invoke__h[0-9a-f]{16}(_\d+)?$/.test(field)) {
      const short = "$_" + shortName(renamed++).slice(1);
      // The glue calls it once through `wasm.`; its own wrapper function
      // of the same name is local, and the minifier renames that.
      const call = new RegExp(`\\bwasm\\.${field}\\(`, "g");
      const calls = (glue.text.match(call) || []).length;
      if (calls !== 1) {
        throw new Error(`${glue.path}: expected one call of wasm.${field}; found ${calls}`);
      }
      glue.text = glue.text.replace(call, `wasm.${short}(`);
      kept.push(name(short), body.subarray(nameStart + length, at));
    } else {
      kept.push(body.subarray(start, at));
    }
  }
  if (dropped === 0) throw new Error("wasm-streams' exports not found");
  if (renamed === 0) throw new Error("no closure exports found to shorten");
  return Buffer.concat([uleb(count - dropped), ...kept]);
}

/** Removes wasm-streams' classes and their finalization registries. */
function dropStreamClasses(glue) {
  for (const cls of STREAM_CLASSES) {
    const patterns = [
      new RegExp(`^export class ${cls} \\{\\n[\\s\\S]*?^\\}\\n`, "m"),
      new RegExp(`^if \\(Symbol\\.dispose\\) ${cls}\\.prototype\\[Symbol\\.dispose\\] = .*\\n`, "m"),
      new RegExp(`^const ${cls}Finalization = [\\s\\S]*?\\);\\n`, "m"),
    ];
    for (const pattern of patterns) {
      if (!pattern.test(glue.text)) throw new Error(`${glue.path}: ${pattern} not found`);
      glue.text = glue.text.replace(pattern, "");
    }
  }
  if (/intounderlying/i.test(glue.text)) {
    throw new Error(`${glue.path}: wasm-streams' classes are still referenced`);
  }
}

function sri(bytes) {
  return "sha384-" + createHash("sha384").update(bytes).digest("base64");
}

const files = readdirSync(dir);
const shells = files.filter((file) => file.endsWith(".html")).map((file) => join(dir, file));
const changes = [];
for (const file of files.filter((file) => file.endsWith("_bg.wasm"))) {
  const wasmPath = join(dir, file);
  const gluePath = join(dir, file.replace(/_bg\.wasm$/, ".js"));
  const wasm = readFileSync(wasmPath);
  const glue = { path: gluePath, text: readFileSync(gluePath, "utf8") };
  const before = { wasm: sri(wasm), glue: sri(glue.text) };
  // The import object's one key: the module every import names.
  const keys = [...glue.text.matchAll(/^\s*"(\.\/[\w.-]+_bg\.js)": import0,$/gm)];
  if (keys.length !== 1) throw new Error(`${gluePath}: expected one import module, found ${keys.length}`);
  const glueModule = keys[0][1];
  const list = sections(wasm).map(({ id, body }) => {
    if (id === 2) return { id, body: renameImports(body, glue, glueModule) };
    if (id === 7) return { id, body: trimExports(body, glue) };
    return { id, body };
  });
  dropStreamClasses(glue);
  writeFileSync(wasmPath, assemble(wasm.subarray(0, 8), list));
  // Only dead code goes: the exports' functions and what only they reached.
  execFileSync("wasm-opt", [wasmPath, "--remove-unused-module-elements", "-Oz", "-o", wasmPath], {
    stdio: "inherit",
  });
  // After wasm-opt, which reads the features from `target_features`.
  const optimised = readFileSync(wasmPath);
  const read = sections(optimised).filter(
    ({ id, body }) => id !== 0 || !UNREAD_SECTIONS.includes(customName(body)),
  );
  writeFileSync(wasmPath, assemble(optimised.subarray(0, 8), read));
  writeFileSync(gluePath, glue.text);
  changes.push([before.wasm, sri(readFileSync(wasmPath))], [before.glue, sri(glue.text)]);
}
if (changes.length === 0) throw new Error(`no wasm in ${dir}`);
for (const shell of shells) {
  let html = readFileSync(shell, "utf8");
  for (const [before, after] of changes) html = html.split(`integrity="${before}"`).join(`integrity="${after}"`);
  writeFileSync(shell, html);
}

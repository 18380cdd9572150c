// Part of trunk's post_build hook (scripts/post-build): minifies the
// stylesheet (trunk's own minifier is off, as it breaks wasm-bindgen's
// glue) and updates its integrity hash in the shells. Only rules that are
// safe for style/main.css: comments go, runs of white space become one
// space (its one string, "Segoe UI", has no run), and the spaces around
// `{ } ; ,` and after a declaration's colon go; selectors keep theirs.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) {
  throw new Error("run by trunk as a post_build hook (TRUNK_STAGING_DIR unset)");
}
const sri = (text) => "sha384-" + createHash("sha384").update(text).digest("base64");
const files = readdirSync(dir);
for (const file of files.filter((file) => file.endsWith(".css"))) {
  const path = join(dir, file);
  const css = readFileSync(path, "utf8");
  const minified = css
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/\s+/g, " ")
    .replace(/\s*([{};,])\s*/g, "$1")
    .replace(/(?<=[;{])([-a-z]+): /g, "$1:")
    .replaceAll(";}", "}")
    .trim();
  writeFileSync(path, minified);
  for (const shell of files.filter((file) => file.endsWith(".html"))) {
    const html = readFileSync(join(dir, shell), "utf8");
    writeFileSync(join(dir, shell), html.split(`integrity="${sri(css)}"`).join(`integrity="${sri(minified)}"`));
  }
}

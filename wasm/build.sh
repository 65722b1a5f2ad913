#!/usr/bin/env bash
# Builds the WebAssembly package: wasm/pkg/ (web target, for the page and npm) and
# wasm/pkg-node/ (Node target, for the tests); then copies the page with the package into
# wasm/site/, the folder to serve. Installs what it needs when missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

# The wasm-bindgen CLI must be the exact version of the crate (Cargo.toml pins it).
version="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "== rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  echo "== cargo install wasm-bindgen-cli $version"
  # --locked first; a registry without the exact locked versions gets a fresh resolution.
  cargo install wasm-bindgen-cli --version "=$version" --locked \
    || cargo install wasm-bindgen-cli --version "=$version"
fi
if ! command -v wasm-opt >/dev/null && command -v apt-get >/dev/null; then
  echo "== apt-get install binaryen (wasm-opt)"
  (apt-get install -y binaryen >/dev/null 2>&1 \
    || (apt-get update >/dev/null && apt-get install -y binaryen >/dev/null)) \
    || echo "wasm-opt unavailable: the module is left as wasm-bindgen writes it"
fi

wasm="target/wasm32-unknown-unknown/release/tariff_wasm.wasm"
rm -rf pkg pkg-core pkg-node site

# The page's first module: pricing alone (feature `full` off), without the tokenizer ranks
# and the readers that need them, so the page can quote after a much smaller download.
echo "== cargo build --release --target wasm32-unknown-unknown --no-default-features (pricing module)"
cargo build --release --target wasm32-unknown-unknown --no-default-features
mkdir -p target/core
cp "$wasm" target/core/tariff_wasm_core.wasm
wasm-bindgen --target web --out-dir pkg-core target/core/tariff_wasm_core.wasm

echo "== cargo build --release --target wasm32-unknown-unknown"
cargo build --release --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir pkg "$wasm"
wasm-bindgen --target nodejs --out-dir pkg-node "$wasm"

# rustc already optimized for size and stripped the module (Cargo.toml). wasm-opt -Oz
# makes it smaller raw but gzips it larger (its output compresses worse, see
# BENCHMARKS.md), so its output is kept only when it is smaller gzipped.
if command -v wasm-opt >/dev/null; then
  features="--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue"
  for f in pkg/tariff_wasm_bg.wasm pkg-node/tariff_wasm_bg.wasm pkg-core/tariff_wasm_core_bg.wasm; do
    # shellcheck disable=SC2086
    if wasm-opt $features -Oz "$f" -o "$f.opt" 2>/dev/null \
      && [ "$(gzip -9c "$f.opt" | wc -c)" -lt "$(gzip -9c "$f" | wc -c)" ]; then
      mv "$f.opt" "$f"
    else
      rm -f "$f.opt"
    fi
  done
fi

# wasm-bindgen makes a trailing `Option` parameter optional in TypeScript unless its type is
# given explicitly, as `options` is (to name QuoteOptions): mark it optional here.
for d in pkg/tariff_wasm pkg-node/tariff_wasm pkg-core/tariff_wasm_core; do
  sed -i 's/options: QuoteOptions)/options?: QuoteOptions)/' "$d.d.ts"
done

cp npm/package.json npm/README.md pkg/

mkdir -p site
cp -r www/. site/
cp -r pkg site/pkg
cp -r pkg-core site/pkg-core
rm -f site/pkg/package.json site/pkg/README.md site/pkg/*.d.ts site/pkg-core/*.d.ts
# The page shows the full module's download progress: its decoded size.
sed -i "s/__FULL_BYTES__/$(wc -c <pkg/tariff_wasm_bg.wasm)/" site/app.js

# Brotli and gzip copies beside every file, for a host that serves them precompressed.
echo "== precompressed copies (brotli, gzip)"
node compress.mjs site

gz=$(gzip -9c pkg/tariff_wasm_bg.wasm | wc -c)
echo "== built: pkg/tariff_wasm_bg.wasm $(wc -c <pkg/tariff_wasm_bg.wasm) bytes, $gz gzipped; serve wasm/site/"

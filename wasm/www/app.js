// The calculator page: state in the URL, the engine in WebAssembly, no server.
//
// Two modules: the pricing module (price tables and the engine, ~170 KB brotli) is all the
// page needs to quote; the full module (response readers, request estimates, the exact
// tokenizers and their ranks, ~1.4 MB brotli) is fetched only when a body is pasted, text
// is counted, or an image or video model needs its defaults.
// The pricing module is started by index.html's first script (`self.tariffCore`), before
// this one runs.

const $ = (id) => document.getElementById(id);

/** Labels of the scalar units, in the order the inputs are laid out. */
const UNITS = [
  ["input_tokens", "Input tokens"],
  ["cache_read_tokens", "Cached input tokens"],
  ["cache_write_tokens", "Cache write tokens (5 min)"],
  ["cache_write_1h_tokens", "Cache write tokens (1 h)"],
  ["output_tokens", "Output tokens"],
  ["reasoning_tokens", "Reasoning tokens"],
  ["audio_input_tokens", "Audio input tokens"],
  ["audio_cache_read_tokens", "Cached audio input tokens"],
  ["audio_output_tokens", "Audio output tokens"],
  ["image_input_tokens", "Image input tokens"],
  ["image_output_tokens", "Image output tokens"],
  ["characters", "Characters"],
  ["requests", "Requests / calls"],
  ["web_search_calls", "Web search calls"],
  ["file_search_calls", "File search calls"],
  ["searches", "Searches"],
  ["audio_seconds", "Audio seconds"],
];
const LABEL = Object.fromEntries(UNITS);
LABEL.images = "Images";
LABEL.video_seconds = "Video seconds";
/** Units measured in (possibly fractional) seconds; every other is a whole count. */
const SECONDS = new Set(["audio_seconds", "video_seconds"]);

/** One colour per unit in the chart (and its legend), stable across models. */
const UNIT_COLORS = {
  input_tokens: "#2f5bea", cache_read_tokens: "#7fa0ff", cache_write_tokens: "#1d3a9e",
  cache_write_1h_tokens: "#0f246b", output_tokens: "#e8833a", reasoning_tokens: "#c2410c",
  audio_input_tokens: "#0e9f6e", audio_cache_read_tokens: "#6ee7b7", audio_output_tokens: "#047857",
  image_input_tokens: "#a855f7", image_output_tokens: "#7e22ce", characters: "#64748b",
  requests: "#475569", web_search_calls: "#db2777", file_search_calls: "#f472b6", searches: "#be185d",
  audio_seconds: "#15803d", images: "#9333ea", video_seconds: "#ca8a04",
};
const DEFAULTS = { models: ["gpt-4.1", "claude-sonnet-4-5"], qty: { input_tokens: "10000", output_tokens: "1000" } };

let calc;
let catalog = [];
let byName = new Map();

/** The full module's decoded size (build.sh writes it in), for its progress bar. */
const FULL_BYTES = Number("__FULL_BYTES__");

/** Fetches a module, reporting the bytes received (decoded) to `progress`. */
function fetchWithProgress(url, total, progress) {
  return fetch(url).then((res) => {
    if (!res.ok || !res.body) return res;
    let seen = 0;
    const counted = res.body.pipeThrough(new TransformStream({
      transform(chunk, ctl) {
        seen += chunk.byteLength;
        progress(seen, total);
        ctl.enqueue(chunk);
      },
    }));
    return new Response(counted, { headers: { "content-type": "application/wasm" } });
  });
}

function showLoading(text, seen, total) {
  const box = $("loading");
  box.hidden = false;
  $("loading-text").textContent = text;
  const bar = $("loading-bar");
  if (Number.isFinite(total) && total > 0) {
    bar.max = total;
    bar.value = Math.min(seen, total);
  } else {
    bar.removeAttribute("value");
  }
}

const mb = (n) => (n / 1e6).toFixed(1);

let fullPromise;
let fullCalc;
/** The full module's calculator, fetched on first use (with progress shown). */
function full() {
  fullPromise ??= (async () => {
    const label = "Loading the response readers and tokenizers (first use only)…";
    showLoading(label, 0, FULL_BYTES);
    try {
      const m = await import("./pkg/tariff_wasm.js");
      await m.default({
        module_or_path: fetchWithProgress("pkg/tariff_wasm_bg.wasm", FULL_BYTES, (seen, total) =>
          showLoading(`${label} ${mb(seen)}${Number.isFinite(total) ? ` of ${mb(total)}` : ""} MB`, seen, total)),
      });
      fullCalc = new m.Calculator();
      return fullCalc;
    } catch (e) {
      fullPromise = undefined;
      throw e;
    } finally {
      // Before the page is ready its own start hides the bar.
      if (document.documentElement.dataset.ready === "true") $("loading").hidden = true;
    }
  })();
  return fullPromise;
}

const state = {
  models: [],
  at: new Date().toISOString().slice(0, 10),
  tier: "standard",
  currency: "USD",
  fx: "",
  group: "1",
  qty: {}, // unit -> text as typed
  images: {}, // "size|quality" -> text
  videoResolution: "", // "": each model's vendor default
  gptImage: { n: "", size: "1024x1024", quality: "medium" }, // GPT Image: images asked for
  requests: "", // requests like this one, per `per`: the projection
  per: "day",
};

// ---------------------------------------------------------------- URL state

const INITIAL = JSON.stringify(state);

function readHash() {
  Object.assign(state, JSON.parse(INITIAL));
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has("m")) {
    state.models = DEFAULTS.models.filter((m) => calc.resolveModel(m));
    state.qty = { ...DEFAULTS.qty };
    return;
  }
  // Unknown names stay: their card says so, with the catalog's suggestions.
  state.models = p.get("m").split(",").filter(Boolean);
  for (const k of ["at", "tier", "currency", "fx", "group", "per"]) if (p.has(k)) state[k] = p.get(k);
  if (p.has("rq")) state.requests = p.get("rq");
  if (p.has("vr")) state.videoResolution = p.get("vr");
  if (p.has("gi")) {
    const [n, size, quality] = p.get("gi").split(":");
    state.gptImage = { n: n ?? "", size: size || "1024x1024", quality: quality || "medium" };
  }
  for (const pair of (p.get("q") || "").split(",").filter(Boolean)) {
    const [unit, value] = pair.split(":");
    state.qty[unit] = value;
  }
  for (const pair of (p.get("img") || "").split(",").filter(Boolean)) {
    const i = pair.lastIndexOf(":");
    state.images[pair.slice(0, i)] = pair.slice(i + 1);
  }
}

let hashPending = false;
/** Keeps the address's hash following the state, written after the frame that shows the
 * change: `history.replaceState` is a round trip to the browser that took a few ms of the
 * first quote's time, and several updates in a row need only the last. */
function scheduleHash() {
  if (hashPending) return;
  hashPending = true;
  afterPaint(flushHash);
}

/** Writes a pending hash now (before the address is read, as the share button does). */
function flushHash() {
  if (!hashPending) return;
  hashPending = false;
  writeHash();
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("m", state.models.join(","));
  p.set("at", state.at);
  if (state.tier !== "standard") p.set("tier", state.tier);
  if (state.currency !== "USD") p.set("currency", state.currency);
  if (state.fx) p.set("fx", state.fx);
  if (state.group !== "1") p.set("group", state.group);
  if (state.requests) p.set("rq", state.requests);
  if (state.per !== "day") p.set("per", state.per);
  // Quantities as their exact digits ("20k" is 20000): the list is comma-separated, and
  // a number typed with commas would split it. Text that is no number stays out.
  const canon = (v) => parseNumber(v);
  const q = Object.entries(state.qty).map(([k, v]) => [k, canon(v)]).filter(([, v]) => v && v !== "0");
  if (q.length) p.set("q", q.map(([k, v]) => `${k}:${v}`).join(","));
  const img = Object.entries(state.images).map(([k, v]) => [k, canon(v)]).filter(([, v]) => v && v !== "0");
  if (img.length) p.set("img", img.map(([k, v]) => `${k}:${v}`).join(","));
  if (state.videoResolution) p.set("vr", state.videoResolution);
  if (state.gptImage.n && state.gptImage.n !== "0") {
    p.set("gi", `${state.gptImage.n}:${state.gptImage.size}:${state.gptImage.quality}`);
  }
  history.replaceState(null, "", `#${p}`);
}

// ---------------------------------------------------------------- model picker

const search = $("model-search");
const list = $("model-list");
let active = -1;
let shown = [];

function matches(m, terms) {
  const hay = `${m.id} ${m.name ?? ""} ${m.provider} ${m.kind} ${m.aliases.join(" ")}`.toLowerCase();
  return terms.every((t) => hay.includes(t));
}

/** How well a model answers the query: 0 exact id, name or alias; 1 id or alias starting
 * with it; 2 name starting with it; 3 any other match. */
function rank(m, query) {
  const names = [m.id, ...m.aliases].map((x) => x.toLowerCase());
  const name = (m.name ?? "").toLowerCase();
  if (names.includes(query) || name === query) return 0;
  if (names.some((x) => x.startsWith(query))) return 1;
  if (name.startsWith(query)) return 2;
  return 3;
}

/** A model's family for ordering: its id without version numbers and dates
 * (`claude-opus-4-5` and `claude-opus-4-1` are one family). */
const family = (m) => m.id.toLowerCase().replace(/[-_.]?\d[\w.]*/g, "");

/** Newest first: by the day its first price took effect, then by table order reversed. */
function newer(a, b) {
  const d = (b.since ?? "").localeCompare(a.since ?? "");
  return d || catalog.indexOf(b) - catalog.indexOf(a);
}

/** Models in the picker's order for the query: exact, then prefix matches, then others;
 * within each, grouped by provider and family, newest first. */
function ranked(query) {
  const q = query.trim().toLowerCase();
  const terms = q.split(/\s+/).filter(Boolean);
  const hits = catalog.filter((m) => matches(m, terms));
  const score = new Map(hits.map((m) => [m, q ? rank(m, q) : 3]));
  const firstOfFamily = new Map();
  for (const m of [...hits].sort(newer)) {
    const f = `${m.provider}/${family(m)}`;
    if (!firstOfFamily.has(f)) firstOfFamily.set(f, firstOfFamily.size);
  }
  return hits.sort((a, b) =>
    score.get(a) - score.get(b)
    || (score.get(a) === 3 ? a.provider.localeCompare(b.provider) : 0)
    || firstOfFamily.get(`${a.provider}/${family(a)}`) - firstOfFamily.get(`${b.provider}/${family(b)}`)
    || newer(a, b));
}

const headlines = new Map();
/** A model's headline price: input and output per 1M tokens at the page's date, quoted by
 * the engine (cached per date); `null` for models priced by other units. */
function headline(m) {
  const key = `${m.id}@${state.at}`;
  if (headlines.has(key)) return headlines.get(key);
  let text = null;
  if (m.units.includes("input_tokens") && m.units.includes("output_tokens")) {
    try {
      const opts = { at: state.at || undefined };
      const i = calc.quote(m.id, { input_tokens: 1000000 }, opts);
      const o = calc.quote(m.id, { output_tokens: 1000000 }, opts);
      text = `${money(i.total, i.currency)} / ${money(o.total, o.currency)} per 1M in/out`;
    } catch { /* not priced at this date: no headline */ }
  }
  headlines.set(key, text);
  return text;
}

/** Rows shown at once; typing narrows the rest. */
const MAX_ROWS = 60;

function openList() {
  list.replaceChildren();
  if (!catalog.length) {
    const li = document.createElement("li");
    li.className = "group";
    li.textContent = "Loading models…";
    list.append(li);
    shown = [];
    list.hidden = false;
    search.setAttribute("aria-expanded", "true");
    setActive(-1);
    return;
  }
  const all = ranked(search.value);
  shown = all.slice(0, MAX_ROWS);
  shown.forEach((m, i) => {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    li.id = `opt-${i}`;
    li.dataset.id = m.id;
    li.setAttribute("aria-selected", "false");
    const main = document.createElement("span");
    main.className = "opt-main";
    const name = document.createElement("span");
    name.className = "opt-name";
    name.textContent = (m.name && m.name !== "None" ? m.name : m.id) + (state.models.includes(m.id) ? " (added)" : "");
    const id = document.createElement("span");
    id.className = "opt-id";
    id.textContent = m.id;
    main.append(name, id);
    const side = document.createElement("span");
    side.className = "kind";
    const price = headline(m);
    side.textContent = [m.provider, price ?? m.kind].join(" · ");
    li.append(main, side);
    li.addEventListener("mousedown", (e) => { e.preventDefault(); addModel(m.id); });
    list.append(li);
  });
  if (all.length > shown.length) {
    const li = document.createElement("li");
    li.className = "group";
    li.setAttribute("aria-hidden", "true");
    li.textContent = `${all.length - shown.length} more: keep typing to narrow`;
    list.append(li);
  }
  if (!shown.length) {
    const li = document.createElement("li");
    li.className = "group";
    li.textContent = "No model matches";
    list.append(li);
  }
  list.hidden = false;
  search.setAttribute("aria-expanded", "true");
  setActive(shown.length ? 0 : -1);
}

function closeList() {
  list.hidden = true;
  search.setAttribute("aria-expanded", "false");
  search.removeAttribute("aria-activedescendant");
  active = -1;
}

function setActive(i) {
  list.querySelector('[aria-selected="true"]')?.setAttribute("aria-selected", "false");
  active = i;
  if (i < 0) return search.removeAttribute("aria-activedescendant");
  const el = $(`opt-${i}`);
  el.setAttribute("aria-selected", "true");
  search.setAttribute("aria-activedescendant", el.id);
  el.scrollIntoView({ block: "nearest" });
}

let quietFocus = false;
search.addEventListener("input", openList);
search.addEventListener("focus", () => { if (!quietFocus) openList(); });
// A click opens the list even when the field already had focus.
search.addEventListener("click", () => { if (list.hidden) openList(); });
search.addEventListener("blur", closeList);
search.addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown" || e.key === "ArrowUp") {
    e.preventDefault();
    if (list.hidden) return openList();
    if (!shown.length) return;
    const step = e.key === "ArrowDown" ? 1 : -1;
    setActive((active + step + shown.length) % shown.length);
  } else if (e.key === "Enter") {
    e.preventDefault();
    if (active >= 0) addModel(shown[active].id);
  } else if (e.key === "Escape") {
    if (!list.hidden) { e.preventDefault(); closeList(); } else search.value = "";
  }
});

function addModel(id) {
  if (!state.models.includes(id)) state.models.push(id);
  search.value = "";
  closeList();
  // Said before the update, which writes it: the status line reports this action, not
  // the one before.
  announce(`${id} added; ${plural(state.models.length, "model")} compared.`);
  update({ layout: true });
}

function removeModel(id) {
  const at = state.models.indexOf(id);
  state.models = state.models.filter((m) => m !== id);
  closeList();
  announce(`${id} removed; ${plural(state.models.length, "model")} compared.`);
  update({ layout: true });
  // Focus moves to the next chip's remove button (or the previous one), never to the
  // search field, whose list would open over the chips and catch the next click.
  const buttons = $("chosen").querySelectorAll("button");
  const next = buttons[Math.min(at, buttons.length - 1)];
  if (next) {
    next.focus();
  } else {
    quietFocus = true;
    search.focus();
    quietFocus = false;
  }
}

/** "1 model", "2 models", "1,000 images": a count with its noun in the right number. */
function plural(n, one, many = `${one}s`) {
  const big = typeof n === "bigint" || typeof n === "number" ? n.toLocaleString("en-US") : exact(String(n));
  return `${big} ${String(n) === "1" ? one : many}`;
}

function announce(text) {
  $("summary").dataset.note = text;
}

function renderChips() {
  const ul = $("chosen");
  ul.replaceChildren();
  if (!state.models.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "None yet: add a model above.";
    ul.append(li);
  }
  state.models.forEach((id, i) => {
    const li = document.createElement("li");
    // A number, not a colour: the chart's colours are the units'.
    const sw = document.createElement("span");
    sw.className = "badge";
    sw.setAttribute("aria-hidden", "true");
    sw.dataset.n = String(i + 1);
    const name = document.createElement("span");
    name.textContent = id;
    const x = document.createElement("button");
    x.type = "button";
    x.textContent = "×";
    x.setAttribute("aria-label", `Remove ${id}`);
    x.addEventListener("click", () => removeModel(id));
    li.append(sw, name, x);
    ul.append(li);
  });
}

// ---------------------------------------------------------------- quantities

/** GPT Image models: priced by image output tokens, which the engine's request estimate
 * derives from the number of images, their size and quality (estimate/images.toml). */
const isGptImage = (m) => m.kind === "image" && m.units.includes("image_output_tokens") && !m.imageVariants.length;
/** The sizes and qualities the Images API takes for GPT Image (`auto`: the vendor picks;
 * the estimate holds the dearest). */
const GPT_IMAGE_SIZES = ["1024x1024", "1024x1536", "1536x1024", "auto"];
const GPT_IMAGE_QUALITIES = ["low", "medium", "high", "auto"];

/** The inputs the chosen models need: their priced units, image variants, resolutions. */
function needed() {
  const models = state.models.map((id) => byName.get(id)).filter(Boolean);
  const units = new Set(models.flatMap((m) => m.units));
  const variants = new Map();
  for (const m of models) {
    for (const v of m.imageVariants) variants.set(`${v.size ?? ""}|${v.quality ?? ""}`, v);
  }
  const resolutions = [...new Set(models.flatMap((m) => m.videoResolutions))];
  const gptImage = models.some(isGptImage);
  return { units, variants, resolutions, gptImage };
}

/** A `.field` with its label for the control `id`. */
function labelled(id, label) {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const l = document.createElement("label");
  l.htmlFor = id;
  l.textContent = label;
  wrap.append(l);
  return wrap;
}

function numberInput(id, label, value, seconds) {
  const wrap = labelled(id, label);
  const input = document.createElement("input");
  input.type = "text";
  input.id = id;
  input.inputMode = seconds ? "decimal" : "numeric";
  input.autocomplete = "off";
  input.value = value ?? "";
  input.placeholder = "0";
  const msg = document.createElement("p");
  msg.className = "help";
  msg.id = `${id}-msg`;
  msg.setAttribute("aria-live", "polite");
  input.setAttribute("aria-describedby", msg.id);
  wrap.append(input, msg);
  return [wrap, input];
}

function selectInput(id, label, options, value, onChange) {
  const f = labelled(id, label);
  const sel = document.createElement("select");
  sel.id = id;
  for (const [v, text] of options) sel.add(new Option(text, v));
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  f.append(sel);
  return f;
}

function renderQuantities() {
  const box = $("qty");
  const focused = document.activeElement?.id;
  box.replaceChildren();
  const { units, variants, resolutions, gptImage } = needed();
  for (const [unit, label] of UNITS) {
    if (!units.has(unit)) continue;
    const [wrap, input] = numberInput(`q-${unit}`, label, state.qty[unit], SECONDS.has(unit));
    input.addEventListener("input", () => { state.qty[unit] = input.value.trim(); update(); });
    box.append(wrap);
  }
  if (gptImage) {
    const [wrap, input] = numberInput("q-gpt-images", "Images to generate (GPT Image)", state.gptImage.n, false);
    input.addEventListener("input", () => { state.gptImage.n = input.value.trim(); update(); });
    box.append(wrap);
    box.append(selectInput("q-gpt-size", "Image size", GPT_IMAGE_SIZES.map((x) => [x, x === "auto" ? "auto (priced at the largest)" : x]),
      state.gptImage.size, (v) => { state.gptImage.size = v; update(); }));
    box.append(selectInput("q-gpt-quality", "Image quality", GPT_IMAGE_QUALITIES.map((x) => [x, x === "auto" ? "auto (priced at high)" : x]),
      state.gptImage.quality, (v) => { state.gptImage.quality = v; update(); }));
  }
  if (units.has("images")) {
    for (const [key, v] of variants) {
      const what = [v.size, v.quality].filter(Boolean).join(", ") || "any size";
      const [wrap, input] = numberInput(`q-img-${key}`, `Images: ${what}`, state.images[key], false);
      input.addEventListener("input", () => { state.images[key] = input.value.trim(); update(); });
      box.append(wrap);
    }
  }
  if (units.has("video_seconds")) {
    const [wrap, input] = numberInput("q-video_seconds", "Video seconds", state.qty.video_seconds, true);
    input.addEventListener("input", () => { state.qty.video_seconds = input.value.trim(); update(); });
    box.append(wrap);
    if (resolutions.length) {
      const opts = [["", "Each model's default"], ...resolutions.map((r) => [r, r])];
      box.append(selectInput("q-resolution", "Video resolution", opts, state.videoResolution,
        (v) => { state.videoResolution = v; update(); }));
    }
  }
  if (!box.children.length) {
    const p = document.createElement("p");
    p.className = "help wide";
    p.textContent = "Add a model to see the quantities it is priced by.";
    box.append(p);
  }
  if (focused && $(focused)) $(focused).focus();
}

/** Reads a number as people type it, to its exact decimal text (never through a float):
 * thousands separators ("20,000", "20 000", "20.000.000", "20'000"), a k or M suffix
 * ("20k", "1.5M"), a decimal comma where it cannot be a thousands separator ("7,1",
 * "0,125", "1,5k"; "1,234" is one thousand two hundred thirty-four). Returns the digits
 * ("20000", "7.1"), or null when the text is none of these. */
function parseNumber(text) {
  let t = String(text ?? "").trim().replace(/[\u00a0\u202f\u2009'_]/g, " ");
  if (t === "") return "0";
  let scale = 0;
  const suffix = /^(.*?)\s*([kKmM])$/.exec(t);
  if (suffix) {
    t = suffix[1].trim();
    scale = /k/i.test(suffix[2]) ? 3 : 6;
  }
  // A thousands-grouped whole part: 1 to 3 digits (no leading zero), then groups of 3.
  const grouped = (s, sep) => {
    const parts = s.split(sep);
    return parts.length > 1 && /^[1-9]\d{0,2}$/.test(parts[0]) && parts.slice(1).every((x) => /^\d{3}$/.test(x))
      ? parts.join("") : null;
  };
  let whole = t;
  let frac = "";
  const dots = (t.match(/\./g) ?? []).length;
  const commas = (t.match(/,/g) ?? []).length;
  let decimal = null;
  if (dots && commas) decimal = t.lastIndexOf(".") > t.lastIndexOf(",") ? "." : ",";
  else if (dots === 1) decimal = ".";
  else if (commas === 1) {
    // "20,000" groups thousands; "7,1", "0,125" and "1 234,5" can only be a decimal comma.
    const [l, r] = t.split(",");
    decimal = /^[1-9]\d{0,2}$/.test(l) && /^\d{3}$/.test(r) ? null : ",";
  }
  if (decimal) {
    const i = t.lastIndexOf(decimal);
    whole = t.slice(0, i);
    frac = t.slice(i + 1);
    if (!/^\d+$/.test(frac)) return null;
  }
  if (/[\s,.]/.test(whole)) {
    // One kind of thousands separator, never the decimal one, in groups of three.
    const seps = new Set(whole.match(/[\s,.]/g).map((c) => (/\s/.test(c) ? " " : c)));
    if (seps.size > 1 || seps.has(decimal)) return null;
    whole = grouped(whole.replace(/\s+/g, " "), [...seps][0]);
    if (whole === null) return null;
  }
  if (!/^\d*$/.test(whole) || (whole === "" && frac === "")) return null;
  // Shift the point `scale` places right, in the digits themselves.
  const pad = frac.padEnd(scale, "0");
  whole = (whole + pad.slice(0, scale)).replace(/^0+(?=\d)/, "") || "0";
  frac = pad.slice(scale).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
}

/** Reads a quantity as typed (see `parseNumber`): "" is zero; bad text is an error naming
 * the field. Whole counts come back as BigInt, seconds as exact decimal text. */
function parseQuantity(text, label, seconds) {
  const n = parseNumber(text);
  const examples = seconds ? "e.g. 7.5, 7,5 or 1.5k" : "e.g. 20000, 20,000, 20 000, 20k or 1.5M";
  if (n === null) throw new Error(`${label}: “${text}” is not a number (${examples})`);
  if (seconds) return n;
  if (n.includes(".")) throw new Error(`${label}: “${text}” is ${exact(n)}, not a whole number`);
  return BigInt(n);
}

/** A usage record as JSON text, whole counts (BigInt) written as exact integers: a count
 * above 2^53 reaches the engine digit for digit. */
function usageJson(u) {
  return JSON.stringify(u, (_, v) => (typeof v === "bigint" ? `\u0000${v}` : v))
    .replace(/"\\u0000(\d+)"/g, "$1");
}

/** The usage record of the inputs (before each model's own adjustments); marks bad inputs
 * and returns the errors. */
function usage() {
  const u = {};
  const errors = [];
  const mark = (id, err) => {
    const input = $(id);
    if (!input) return;
    input.setAttribute("aria-invalid", err ? "true" : "false");
    $(`${id}-msg`).textContent = err ?? "";
  };
  const { units, variants, gptImage } = needed();
  for (const [unit, label] of [...UNITS, ["video_seconds", "Video seconds"]]) {
    if (!units.has(unit)) continue;
    try {
      const n = parseQuantity(state.qty[unit], label, SECONDS.has(unit));
      if (n && n !== "0" && n !== 0n) u[unit] = n;
      mark(`q-${unit}`, null);
    } catch (e) {
      errors.push(e.message);
      mark(`q-${unit}`, e.message);
    }
  }
  let gptImages = 0;
  if (gptImage) {
    try {
      gptImages = parseQuantity(state.gptImage.n, "Images to generate", false);
      mark("q-gpt-images", null);
    } catch (e) {
      errors.push(e.message);
      mark("q-gpt-images", e.message);
    }
  }
  if (units.has("images")) {
    const images = [];
    for (const [key, v] of variants) {
      try {
        const n = parseQuantity(state.images[key], `Images ${key}`, false);
        if (n) images.push({ count: n, ...(v.size && { size: v.size }), ...(v.quality && { quality: v.quality }) });
        mark(`q-img-${key}`, null);
      } catch (e) {
        errors.push(e.message);
        mark(`q-img-${key}`, e.message);
      }
    }
    if (images.length) u.images = images;
  }
  return { usage: u, errors, gptImages };
}

// ---------------------------------------------------------------- each model's usage

const estimates = new Map();
/** A request estimate from the full module, cached; `{pending}` while it loads. */
function estimateOnce(api, model, request) {
  const key = `${api}|${model}|${usageJson(request)}`;
  if (estimates.has(key)) return estimates.get(key);
  if (!fullCalc) {
    full().then(() => update(), () => update());
    return { pending: true };
  }
  let r;
  try {
    r = { usage: fullCalc.estimate(api, model, usageJson(request)).usage };
  } catch (e) {
    r = { error: e.message };
  }
  estimates.set(key, r);
  return r;
}

/** Each video provider's request family, with the smallest request it takes: its
 * estimate applies the vendor's documented defaults to a request that names none. */
const VIDEO_REQUESTS = {
  openai: ["openai-video", (id) => ({ model: id, prompt: "x" })],
  google: ["veo", () => ({ instances: [{ prompt: "x" }] })],
  alibaba: ["wan-video", (id) => ({ model: id, input: { prompt: "x" } })],
  bytedance: ["seedance", (id) => ({ model: id, content: [{ type: "text", text: "x" }] })],
  runway: ["runway", (id) => ({ model: id, promptText: "x" })],
};

/** A video model's default resolution as its vendor documents it (the engine's request
 * estimate for its family: what it assumes for a request that names none); `null` when
 * the data has none, `{pending}` while the full module loads. */
function videoDefault(m) {
  const family = VIDEO_REQUESTS[m.provider];
  if (!family) return { resolution: null };
  const r = estimateOnce(family[0], m.id, family[1](m.id));
  if (r.pending) return r;
  const res = r.usage?.resolution;
  return { resolution: res && m.videoResolutions.includes(res) ? res : null };
}

/** The usage record for one model: the shared quantities, with the image variants it
 * prices, its GPT Image output tokens and its video resolution. Returns `{usage, notes,
 * problem, pending}`. */
function usageFor(m, base, gptImages) {
  const u = { ...base };
  const notes = [];
  if (!m) return { usage: u, notes };
  if (base.images) {
    const priced = (img) => m.imageVariants.some((v) => (v.size ?? undefined) === img.size && (v.quality ?? undefined) === img.quality);
    const mine = base.images.filter(priced);
    for (const img of base.images.filter((x) => !priced(x))) {
      notes.push(`${plural(img.count, "image")} at ${[img.size, img.quality].filter(Boolean).join(", ")} not counted: ${m.id} has no such variant.`);
    }
    if (mine.length) u.images = mine; else delete u.images;
  }
  if (isGptImage(m) && gptImages) {
    const r = estimateOnce("openai-images", m.id, { model: m.id, prompt: "", n: gptImages, size: state.gptImage.size, quality: state.gptImage.quality });
    if (r.pending) return { usage: u, notes, pending: true };
    if (r.error) {
      return {
        usage: u, notes,
        problem: {
          text: `Images to generate: the tables hold no output-token count per image for ${m.id} (${r.error.replace(/^.*?: /, "")}). Enter its image output tokens instead.`,
          field: "q-image_output_tokens", action: "Enter image output tokens",
        },
      };
    }
    u.image_output_tokens = BigInt(u.image_output_tokens ?? 0n) + BigInt(r.usage.image_output_tokens);
    notes.push(`${plural(gptImages, "image")} at ${state.gptImage.size}, ${state.gptImage.quality}: ${r.usage.image_output_tokens.toLocaleString("en-US")} image output tokens (OpenAI's table).`);
  }
  if (u.video_seconds && !m.units.includes("video_seconds")) {
    // Another model's unit (a comparison of video models priced in different units).
    delete u.video_seconds;
    notes.push(`Video seconds not counted: ${m.id} is priced by ${m.units.map((x) => (LABEL[x] ?? x).toLowerCase()).join(", ")}.`);
  }
  if (u.video_seconds && m.videoResolutions.length) {
    if (state.videoResolution && m.videoResolutions.includes(state.videoResolution)) {
      u.resolution = state.videoResolution;
    } else {
      const d = videoDefault(m);
      if (d.pending) return { usage: u, notes, pending: true };
      if (!d.resolution) {
        return {
          usage: u, notes,
          problem: {
            text: `Video resolution: ${m.id} is priced per resolution (${m.videoResolutions.join(", ")}) and its documented default is not in the tables.`,
            field: "q-resolution", action: "Choose a resolution",
          },
        };
      }
      u.resolution = d.resolution;
      notes.push(`At ${d.resolution}, the vendor's default${state.videoResolution ? ` (${state.videoResolution} is not one it prices)` : ""}.`);
    }
  }
  return { usage: u, notes };
}

// ---------------------------------------------------------------- quoting

/** The group ratio as typed, read exactly: `{ratio, error}`. */
function groupRatio() {
  const r = parseNumber(state.group || "1");
  return r === null
    ? { ratio: "1", error: `Group ratio: “${state.group}” is not a number (e.g. 1, 0.8 or 0,8)` }
    : { ratio: r, error: null };
}

function fxTable() {
  const typed = state.fx.trim();
  if (!typed) return { fx: [], error: null };
  // An exchange rate, typed as people type numbers ("7,1" is 7.1), read exactly.
  const t = parseNumber(typed);
  if (t === null) {
    return { fx: [], error: `1 USD in CNY: “${typed}” is not a rate (e.g. 7.1 or 7,1)` };
  }
  const date = "1970-01-01";
  const rate = { from: "USD", to: "CNY", rate: t, date, source: "entered on the page" };
  // The inverse is computed by the module in exact decimal (rounded half-even to 12
  // places, as its source says), never in JavaScript floats; a zero rate is refused there.
  try {
    return { fx: [rate, calc.fxInverse(rate)], error: null };
  } catch (e) {
    return { fx: [], error: `1 USD in CNY: ${e.message}` };
  }
}

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 864e5).toISOString().slice(0, 10);

/** What to change for an engine error: `{text, field?, action?, links?}`, or null. */
function explain(message, m) {
  let g;
  if ((g = /has no price for `(\w+)` \(quantity ([^)]+)\)/.exec(message))) {
    const unit = g[1];
    const tier = state.tier !== "standard" ? ` on the ${state.tier} tier` : "";
    return {
      unit,
      text: `${LABEL[unit] ?? unit} (${exact(g[2])}): ${m?.id ?? "this model"} has no price for it${tier}. Set it to 0${tier ? " or choose the standard tier" : ""}; the other lines are priced below.`,
      field: `q-${unit}`, action: `Change ${LABEL[unit] ?? unit}`,
    };
  }
  if (/has no `video_seconds` price for no size\/quality\/resolution/.test(message)) {
    return { text: "Video resolution: this model is priced per resolution.", field: "q-resolution", action: "Choose a resolution" };
  }
  if ((g = /has no (\w+) price in force at/.exec(message)) && m) {
    if (m.until && m.until <= state.at) {
      // Withdrawn: the newest models of the same provider and kind priced at the date.
      const successors = catalog
        .filter((x) => x.provider === m.provider && x.kind === m.kind && x.id !== m.id
          && (!x.until || x.until > state.at) && (x.since ?? "") <= state.at && (x.since ?? "") >= (m.since ?? ""))
        .sort((a, b) => (family(a) === family(m) ? 0 : 1) - (family(b) === family(m) ? 0 : 1) || newer(a, b))
        .slice(0, 3);
      return {
        text: `${m.id} has no price after ${addDays(m.until, -1)}: it is no longer sold at this date.${successors.length ? ` ${m.provider} models priced now:` : ""}`,
        links: successors.map((x) => [`Use ${x.id}`, () => replaceModel(m.id, x.id)]),
        dateAction: [`Price it on ${addDays(m.until, -1)}`, addDays(m.until, -1)],
      };
    }
    if (g[1] !== "standard") {
      return { text: `${m.id} has no ${g[1]}-tier price at this date.`, field: "tier", action: "Change the service tier" };
    }
    return { text: `${m.id} has no price at this date.`, field: "at", action: "Change the date" };
  }
  return null;
}

function replaceModel(from, to) {
  const i = state.models.indexOf(from);
  if (i >= 0 && !state.models.includes(to)) state.models[i] = to;
  else state.models = state.models.filter((x) => x !== from);
  announce(`${from} replaced by ${to}.`);
  update({ layout: true });
}

function quoteOne(id, u, base, quota) {
  const options = { ...base, currency: state.currency, quota };
  try {
    return { bill: calc.quote(id, usageJson(u), options) };
  } catch (e) {
    // A bill in its own currency is still useful when no rate converts it.
    if (/rate/.test(e.message)) {
      try {
        const bill = calc.quote(id, usageJson(u), { ...base });
        return { bill, note: `Shown in ${bill.currency}: enter “1 USD in CNY” to convert.` };
      } catch { /* report the first error */ }
    }
    return { error: e.message };
  }
}

function quoteAll(u, gptImages) {
  const { fx } = fxTable();
  const base = { at: state.at || undefined, serviceTier: state.tier, fx };
  const quota = state.currency === "quota" ? { groupRatio: groupRatio().ratio } : undefined;
  return state.models.map((id) => {
    const m = byName.get(id);
    const own = usageFor(m, u, gptImages);
    if (own.pending) return { id, pending: true };
    // The card's alert says what is wrong; the fix box only the way to it.
    if (own.problem) return { id, error: own.problem.text, fix: { ...own.problem, text: "" }, notes: own.notes };
    const r = quoteOne(id, own.usage, base, quota);
    if (!r.error) {
      const month = monthlyRequests();
      if (month.requests && !r.note) {
        try {
          r.projected = calc.project(id, usageJson(own.usage), { ...base, currency: state.currency, quota }, month.requests);
        } catch (e) {
          r.projectionError = e.message;
        }
      }
      return { id, ...r, notes: own.notes };
    }
    const fix = explain(r.error, m);
    // A quantity the model has no price for: the card names it, and the other lines are
    // priced without it (marked partial, never shown as the bill).
    if (fix?.unit) {
      const rest = { ...own.usage };
      const left = [fix.unit];
      delete rest[fix.unit];
      for (let i = 0; i < 8; i++) {
        const again = quoteOne(id, rest, base, quota);
        if (!again.error) return { id, error: r.error, fix, partial: again.bill, left, notes: own.notes };
        const more = explain(again.error, m);
        if (!more?.unit || !(more.unit in rest)) break;
        left.push(more.unit);
        delete rest[more.unit];
      }
    }
    return { id, error: r.error, fix, notes: own.notes };
  });
}

// ---------------------------------------------------------------- rendering

const SYMBOL = { USD: "$", CNY: "¥" };

function group3(intPart) {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An exact decimal string with thousands separators; never through a float. */
function exact(s) {
  const [i, f] = s.split(".");
  return f ? `${group3(i)}.${f}` : group3(i);
}

function money(amount, currency) {
  const sym = SYMBOL[currency];
  return sym ? `${sym}${exact(amount)}` : `${exact(amount)} ${currency}`;
}

function perText(per) {
  const n = Number(per);
  if (n === 1) return "";
  if (n === 1e6) return " / 1M";
  if (n === 1e3) return " / 1K";
  return ` / ${exact(per)}`;
}

function note(text) {
  const n = document.createElement("p");
  n.className = "meta";
  n.textContent = text;
  return n;
}

/** What to change, with a button that takes the user there. */
function fixBox(fix) {
  const box = document.createElement("div");
  box.className = "fix";
  if (fix.text) {
    const p = document.createElement("p");
    p.textContent = fix.text;
    box.append(p);
  }
  const button = (text, onClick) => {
    const bt = document.createElement("button");
    bt.type = "button";
    bt.className = "ghost";
    bt.textContent = text;
    bt.addEventListener("click", onClick);
    box.append(bt);
  };
  if (fix.field && fix.action) {
    button(fix.action, () => {
      const el = $(fix.field);
      if (!el) return;
      el.scrollIntoView({ block: "center" });
      el.focus();
    });
  }
  for (const [text, go] of fix.links ?? []) button(text, go);
  if (fix.dateAction) {
    button(fix.dateAction[0], () => {
      state.at = fix.dateAction[1];
      $("at").value = state.at;
      update();
    });
  }
  return box;
}

function billCard(r, i) {
  const card = document.createElement("article");
  card.className = "bill";
  card.setAttribute("aria-labelledby", `bill-${i}`);
  const h = document.createElement("h3");
  h.id = `bill-${i}`;
  h.innerHTML = `<span class="badge" aria-hidden="true" data-n="${i + 1}"></span><span></span>`;
  h.lastChild.textContent = r.id;
  card.append(h);
  if (r.pending) {
    const p = document.createElement("p");
    p.className = "meta";
    p.textContent = "Loading the vendor's defaults for this model…";
    card.append(p);
    return card;
  }
  if (r.error) {
    const p = document.createElement("p");
    p.className = "problem";
    p.setAttribute("role", "alert");
    p.textContent = r.error;
    card.append(p);
    if (r.fix) card.append(fixBox(r.fix));
    for (const n of r.notes ?? []) card.append(note(n));
    if (!r.partial) return card;
  }
  for (const n of r.error ? [] : r.notes ?? []) card.append(note(n));
  const b = r.bill ?? r.partial;
  const meta = document.createElement("p");
  meta.className = "meta";
  const conds = [b.provider, `${b.service_tier} tier`, b.at.slice(0, 10)];
  if (b.tier) conds.push(`context tier “${b.tier}”`);
  if (b.window) conds.push(`window “${b.window}”`);
  if (b.option) conds.push(`option ${b.option}`);
  if (b.schedule.scale) conds.push(`${b.schedule.scale} × standard`);
  meta.textContent = conds.join(" · ");
  card.append(meta);
  if (r.note) {
    const n = document.createElement("p");
    n.className = "meta";
    n.textContent = r.note;
    card.append(n);
  }
  const table = document.createElement("table");
  table.innerHTML = `<caption class="visually-hidden">Bill for ${r.id}</caption><thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Price</th><th scope="col">Amount</th></tr></thead><tbody></tbody><tfoot><tr><td>Total</td><td></td><td></td><td class="total-value"></td></tr></tfoot>`;
  const body = table.tBodies[0];
  for (const l of b.lines) {
    const tr = body.insertRow();
    const item = tr.insertCell();
    item.textContent = (LABEL[l.unit] ?? l.unit) + (l.item.includes("(") ? ` ${l.item.slice(l.item.indexOf("("))}` : "");
    if (l.priced_as) {
      const s = document.createElement("span");
      s.className = "fallback";
      s.textContent = `at the ${LABEL[l.priced_as] ?? l.priced_as} rate`;
      item.append(s);
    }
    tr.insertCell().textContent = exact(l.quantity);
    tr.insertCell().textContent = money(l.unit_price, b.currency) + perText(l.per);
    tr.insertCell().textContent = money(l.amount, b.currency);
  }
  if (!b.lines.length) {
    const tr = body.insertRow();
    const td = tr.insertCell();
    td.colSpan = 4;
    td.textContent = "Nothing to charge: every quantity is zero.";
  }
  table.tFoot.rows[0].cells[3].textContent = money(b.total, b.currency);
  if (r.partial) {
    table.tFoot.rows[0].cells[0].textContent = `Partial total, without ${r.left.map((u) => LABEL[u] ?? u).join(", ")}`;
    card.classList.add("partial");
  }
  if (b.quota) {
    const tr = table.tFoot.insertRow();
    tr.insertCell().textContent = "Quota";
    tr.insertCell();
    tr.insertCell();
    const td = tr.insertCell();
    td.className = "total-value";
    td.textContent = `${b.quota.units.toLocaleString("en-US")} units`;
    td.title = `exact ${b.quota.exact}`;
  }
  card.append(table);
  if (r.projected) card.append(projectionTable(r.id, r.projected));
  if (r.projectionError) card.append(note(`Per month: ${r.projectionError}`));
  const src = document.createElement("p");
  src.className = "source";
  const a = document.createElement("a");
  const url = b.schedule.source.match(/https?:\/\/\S+/)?.[0];
  if (url) {
    a.href = url;
    a.rel = "noopener";
    a.textContent = "price source";
    src.append(a, ` · read ${b.schedule.as_of}`);
  } else {
    src.textContent = `Source: ${b.schedule.source} · read ${b.schedule.as_of}`;
  }
  if (b.fx) src.append(` · 1 ${b.fx.from} = ${b.fx.rate} ${b.fx.to}`);
  card.append(src);
  return card;
}

function renderChart(results) {
  const chart = $("chart");
  chart.replaceChildren();
  const ok = results.filter((r) => r.bill);
  if (ok.length < 1) return;
  const currencies = new Set(ok.map((r) => r.bill.currency));
  if (currencies.size > 1) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = `The chart needs one currency; these bills are in ${[...currencies].join(" and ")}. Enter “1 USD in CNY” to convert them.`;
    chart.append(p);
    return;
  }
  const currency = ok[0].bill.currency;
  const max = Math.max(...ok.map((r) => Number(r.bill.total)), 0);
  const rowH = 34;
  // Drawn at the size it is shown (one SVG unit per CSS pixel), so that its 13 px labels
  // stay 13 px on a phone instead of shrinking with a fixed-width drawing.
  const width = Math.max(Math.round(chartWidth || 760), 240);
  const labelW = Math.min(190, Math.round(width * 0.36));
  const barW = width - labelW - Math.min(150, Math.round(width * 0.3));
  const maxChars = Math.max(8, Math.floor(labelW / 7.6));
  const height = ok.length * rowH + 6;
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const desc = ok.map((r) => `${r.id} ${money(r.bill.total, currency)}`).join("; ");
  svg.setAttribute("aria-label", `Cost split by unit: ${desc}`);
  const used = new Set();
  ok.forEach((r, i) => {
    const y = i * rowH + 4;
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", labelW - 8);
    label.setAttribute("y", y + rowH / 2);
    label.setAttribute("text-anchor", "end");
    label.setAttribute("dominant-baseline", "middle");
    label.setAttribute("font-size", "13");
    label.setAttribute("fill", "#1c2230");
    label.textContent = r.id.length > maxChars ? `${r.id.slice(0, maxChars - 1)}…` : r.id;
    svg.append(label);
    let x = labelW;
    for (const l of r.bill.lines) {
      const w = max > 0 ? (Number(l.amount) / max) * barW : 0;
      if (w <= 0) continue;
      const rect = document.createElementNS(NS, "rect");
      rect.setAttribute("x", x);
      rect.setAttribute("y", y + 5);
      rect.setAttribute("width", Math.max(w, 0.5));
      rect.setAttribute("height", rowH - 12);
      rect.setAttribute("fill", UNIT_COLORS[l.unit] ?? "#94a3b8");
      const t = document.createElementNS(NS, "title");
      t.textContent = `${LABEL[l.unit] ?? l.unit}: ${money(l.amount, currency)}`;
      rect.append(t);
      svg.append(rect);
      used.add(l.unit);
      x += w;
    }
    const total = document.createElementNS(NS, "text");
    total.setAttribute("x", x + 8);
    total.setAttribute("y", y + rowH / 2);
    total.setAttribute("dominant-baseline", "middle");
    total.setAttribute("font-size", "13");
    total.setAttribute("font-weight", "600");
    total.setAttribute("fill", "#1c2230");
    total.textContent = r.bill.quota ? `${r.bill.quota.units.toLocaleString("en-US")} units` : money(r.bill.total, currency);
    svg.append(total);
  });
  chart.append(svg);
  const legend = document.createElement("ul");
  legend.className = "legend";
  legend.setAttribute("aria-label", "Chart legend");
  for (const u of Object.keys(UNIT_COLORS)) {
    if (!used.has(u)) continue;
    const li = document.createElement("li");
    li.innerHTML = `<i style="background:${UNIT_COLORS[u]}"></i>`;
    li.append(LABEL[u] ?? u);
    legend.append(li);
  }
  chart.append(legend);
}

function totalText(r) {
  if (r.pending) return `${r.id}: loading`;
  if (!r.bill) return `${r.id}: ${r.partial ? "not fully priced" : "not priced"}`;
  return `${r.id}: ${r.bill.quota ? `${r.bill.quota.units.toLocaleString("en-US")} quota units` : money(r.bill.total, r.bill.currency)}`;
}

function summarize(results, inputErrors) {
  const s = $("summary");
  const note = s.dataset.note ? `${s.dataset.note} ` : "";
  s.dataset.note = "";
  const quick = $("quick-totals");
  if (inputErrors.length) {
    s.textContent = `${note}Fix the highlighted field: ${inputErrors[0]}`;
    quick.textContent = "";
    return;
  }
  if (!results.length) {
    s.textContent = `${note}Add a model to see its bill.`;
    quick.textContent = "";
    return;
  }
  const parts = results.map(totalText);
  s.textContent = note + parts.join(" · ");
  // The totals again under the inputs, where a phone shows them on the first screen.
  quick.textContent = parts.join(" · ");
}

let lastLayout = "";
/** The chart's width, read before each redraw changes the page (so that reading it does
 * not force a layout of the half-drawn page). */
let chartWidth = 0;

/** Runs `fn` once the page has been painted (after the next frame), so work that is not
 * on screen yet (the ranking, the picker's list) does not hold the first paint back. */
function afterPaint(fn) {
  if (document.hidden) setTimeout(fn, 0);
  else requestAnimationFrame(() => setTimeout(fn, 0));
}

/** Re-quotes everything from `state` and redraws the results (and the inputs when the
 * chosen models change). */
function update({ layout = false } = {}) {
  chartWidth = $("chart").clientWidth;
  const key = state.models.join(",");
  if (layout || key !== lastLayout) {
    renderChips();
    renderQuantities();
    lastLayout = key;
  }
  const fxError = fxTable().error;
  $("fx").setAttribute("aria-invalid", fxError ? "true" : "false");
  $("fx-help").textContent = fxError ?? "Used to convert between USD and CNY prices. tariff holds no rates of its own.";
  $("quota-fields").hidden = state.currency !== "quota";
  const { usage: u, errors, gptImages } = usage();
  if (fxError) errors.push(fxError);
  const month = monthlyRequests();
  $("requests").setAttribute("aria-invalid", month.error ? "true" : "false");
  $("requests-help").textContent = month.error ?? (month.requests
    ? `${exact(month.requests)} requests a month${state.per === "day" ? " (30 days)" : ""}: every line multiplied exactly.`
    : "A monthly cost for every model, each line multiplied exactly.");
  if (month.error) errors.push(month.error);
  const groupError = state.currency === "quota" ? groupRatio().error : null;
  $("group").setAttribute("aria-invalid", groupError ? "true" : "false");
  $("group-help").textContent = groupError ?? "new-api: 500,000 units per USD × group ratio, rounded half-up.";
  if (groupError) errors.push(groupError);
  const bills = $("bills");
  if (errors.length) {
    // A bad input never shows a price: the old bills go, the message stays.
    bills.replaceChildren();
    $("chart").replaceChildren();
    clearExtras();
    summarize([], errors);
    scheduleHash();
    return;
  }
  const results = quoteAll(u, gptImages);
  bills.replaceChildren(...results.map(billCard));
  renderChart(results);
  summarize(results, []);
  scheduleExtras(u);
  scheduleHash();
}


// ---------------------------------------------------------------- projection

/** `decimal × k` for a decimal string and a whole number, exactly (BigInt digits). */
function timesWhole(decimal, k) {
  const [w, f = ""] = decimal.split(".");
  const digits = (BigInt(w + f) * BigInt(k)).toString().padStart(f.length + 1, "0");
  const whole = digits.slice(0, digits.length - f.length);
  const frac = digits.slice(digits.length - f.length).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
}

/** Requests a month from the projection inputs: `{requests}` (exact decimal text, null
 * when none asked) or `{error}` naming the field. */
function monthlyRequests() {
  const typed = (state.requests ?? "").trim();
  if (!typed) return { requests: null, error: null };
  const n = parseNumber(typed);
  if (n === null) return { requests: null, error: `Requests like this: “${typed}” is not a number (e.g. 20000, 20,000 or 20k)` };
  if (n === "0") return { requests: null, error: null };
  return { requests: state.per === "day" ? timesWhole(n, 30) : n, error: null };
}

/** A bill's monthly projection, line by line. */
function projectionTable(id, p) {
  const table = document.createElement("table");
  table.className = "projection";
  table.innerHTML = `<caption></caption><thead><tr><th scope="col">Item</th><th scope="col">Per month</th></tr></thead><tbody></tbody><tfoot><tr><td>Total per month</td><td class="total-value"></td></tr></tfoot>`;
  table.caption.textContent = `Per month: ${plural(p.requests, "request")} to ${id}`;
  for (const l of p.lines) {
    const tr = table.tBodies[0].insertRow();
    tr.insertCell().textContent = (LABEL[l.unit] ?? l.unit) + (l.item.includes("(") ? ` ${l.item.slice(l.item.indexOf("("))}` : "");
    tr.insertCell().textContent = money(l.amount, p.currency);
  }
  const total = table.tFoot.rows[0].cells[1];
  total.textContent = p.quota_units ? `${exact(p.quota_units)} units` : money(p.total, p.currency);
  if (p.quota_units) total.title = `${money(p.total, p.currency)} before quota rounding`;
  return table;
}

// ---------------------------------------------------------------- every model, history

/** Compares two non-negative exact decimal strings (null last), never through floats. */
function cmpDecimal(a, b) {
  if (a == null || b == null) return (a == null) - (b == null);
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const n = Math.max(af.length, bf.length);
  const x = af.padEnd(n, "0");
  const y = bf.padEnd(n, "0");
  return x === y ? 0 : x < y ? -1 : 1;
}

const rankView = { sort: "total", dir: 1, data: null };
const RANK_COLUMNS = [
  ["model", "Model", (r) => r.id],
  ["provider", "Provider", (r) => r.provider],
  ["capability", "Capability", (r) => r.capabilities.join(", ")],
  ["total", "Total", (r) => r.total, true],
  ["in", "Input / 1M", (r) => r.inputPerM, true],
  ["out", "Output / 1M", (r) => r.outputPerM, true],
  ["month", "Per month", (r) => r.projected?.total ?? null, true],
];

let extrasPending = false;
let extrasUsage = null;
/** The ranking and the history are drawn after the bills are painted, off the quote's
 * path (once for several updates in a row, with the last usage). */
function scheduleExtras(u) {
  extrasUsage = u;
  if (extrasPending) return;
  extrasPending = true;
  afterPaint(() => {
    extrasPending = false;
    renderExtras();
  });
}

function clearExtras() {
  extrasUsage = null;
  rankView.data = null;
  $("rank-table").tBodies[0].replaceChildren();
  $("rank-summary").textContent = "Fix the highlighted field to rank the models.";
  $("rank-unpriced").hidden = true;
  $("history-chart").replaceChildren();
  $("history-table").tBodies[0].replaceChildren();
  $("history-cost").textContent = "";
}

/** The shared usage with the chosen video resolution: what every model is ranked on. */
function rankUsage(u) {
  const r = { ...u };
  if (state.videoResolution) r.resolution = state.videoResolution;
  return r;
}

function quoteOptions() {
  const { fx } = fxTable();
  const quota = state.currency === "quota" ? { groupRatio: groupRatio().ratio } : undefined;
  // Bills in their own currency unless a rate converts them (or quota is asked): a CNY
  // model is ranked in CNY, not dropped for want of a rate.
  const currency = state.currency === "quota" || fx.length ? state.currency : undefined;
  return { at: state.at || undefined, serviceTier: state.tier, fx, currency, quota };
}

function renderExtras() {
  if (!extrasUsage) return;
  const u = extrasUsage;
  const t0 = performance.now();
  try {
    rankView.data = calc.rank(usageJson(rankUsage(u)), quoteOptions(), monthlyRequests().requests ?? undefined);
  } catch (e) {
    rankView.data = null;
    $("rank-summary").textContent = `The models could not be ranked: ${e.message}`;
  }
  rankView.ms = performance.now() - t0;
  renderRank();
  renderHistory(u);
}

function renderRank() {
  const data = rankView.data;
  const head = $("rank-table").tHead.rows[0];
  const body = $("rank-table").tBodies[0];
  const withMonth = Boolean(data?.rows.some((r) => r.projected));
  const columns = RANK_COLUMNS.filter(([key]) => key !== "month" || withMonth);
  head.replaceChildren();
  for (const [key, label, , num] of columns) {
    const th = document.createElement("th");
    th.scope = "col";
    if (num) th.className = "num";
    th.setAttribute("aria-sort", rankView.sort === key ? (rankView.dir > 0 ? "ascending" : "descending") : "none");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.dataset.sort = key;
    b.addEventListener("click", () => {
      rankView.dir = rankView.sort === key ? -rankView.dir : 1;
      rankView.sort = key;
      renderRank();
      head.querySelector(`[data-sort="${key}"]`)?.focus();
    });
    th.append(b);
    head.append(th);
  }
  const th = document.createElement("th");
  th.scope = "col";
  th.innerHTML = '<span class="visually-hidden">Compare</span>';
  head.append(th);
  body.replaceChildren();
  if (!data) return;
  const provider = $("rank-provider").value;
  const cap = $("rank-cap").value;
  const keep = (r) => (!provider || r.provider === provider) && (!cap || r.capabilities.includes(cap));
  const rows = data.rows.filter(keep);
  const [, , get, num] = RANK_COLUMNS.find(([key]) => key === rankView.sort);
  rows.sort((a, b) => {
    const c = num ? (a.currency.localeCompare(b.currency) || cmpDecimal(get(a), get(b))) : get(a).localeCompare(get(b));
    return c * rankView.dir || a.id.localeCompare(b.id);
  });
  // The cheapest of each currency among the rows shown.
  const cheapest = new Map();
  for (const r of rows) {
    const best = cheapest.get(r.currency);
    if (best === undefined || cmpDecimal(r.total, best) < 0) cheapest.set(r.currency, r.total);
  }
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.id = r.id;
    const isCheapest = cmpDecimal(r.total, cheapest.get(r.currency)) === 0;
    if (isCheapest) tr.className = "cheapest";
    for (const [key, , value, isNum] of columns) {
      const td = document.createElement(key === "model" ? "th" : "td");
      if (key === "model") {
        td.scope = "row";
        td.textContent = r.id;
        if (isCheapest) {
          const mark = document.createElement("span");
          mark.className = "cheap-mark";
          mark.textContent = "cheapest";
          td.append(mark);
        }
      } else if (isNum) {
        td.className = "num";
        const v = value(r);
        td.textContent = v == null ? "—"
          : key === "month" && r.projected.quota_units ? `${exact(r.projected.quota_units)} units`
            : key === "total" && r.quota ? `${r.quota.units.toLocaleString("en-US")} units`
              : money(v, key === "month" ? r.projected.currency : r.currency);
      } else {
        td.textContent = value(r);
      }
      tr.append(td);
    }
    const td = document.createElement("td");
    if (!state.models.includes(r.id)) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "ghost";
      b.textContent = "Compare";
      b.setAttribute("aria-label", `Compare ${r.id}`);
      b.addEventListener("click", () => addModel(r.id));
      td.append(b);
    }
    tr.append(td);
    frag.append(tr);
  }
  body.append(frag);
  const hidden = data.rows.length - rows.length;
  $("rank-summary").textContent = `${plural(rows.length, "model")} priced for this usage${hidden ? ` (${hidden} more hidden by the filters)` : ""}, in one call to the engine (${rankView.ms.toFixed(0)} ms).`;
  const un = data.unpriced.filter(keep);
  const box = $("rank-unpriced");
  box.hidden = !un.length;
  box.querySelector("summary").textContent = `${plural(un.length, "model")} cannot price this usage, and why`;
  const ul = box.querySelector("ul");
  ul.replaceChildren(...un.map((x) => {
    const li = document.createElement("li");
    const b = document.createElement("strong");
    b.textContent = x.id;
    li.append(b, `: ${x.reason}`);
    return li;
  }));
}

function fillRankProviders() {
  const sel = $("rank-provider");
  for (const p of [...new Set(catalog.map((m) => m.provider))].sort()) sel.add(new Option(p, p));
}

/** The history's options: the currency asked when a rate converts to it, else each
 * schedule's own. */
function historyOptions() {
  const o = quoteOptions();
  const convert = o.fx.length && o.currency !== "quota";
  return { serviceTier: o.serviceTier, fx: o.fx, currency: convert ? o.currency : undefined };
}

function renderHistory(u) {
  const sel = $("history-model");
  const known = state.models.filter((id) => byName.has(id));
  const was = sel.value;
  sel.replaceChildren(...known.map((id) => new Option(id, id)));
  sel.value = known.includes(was) ? was : known[0] ?? "";
  const id = sel.value;
  const body = $("history-table").tBodies[0];
  const chart = $("history-chart");
  body.replaceChildren();
  chart.replaceChildren();
  const cost = $("history-cost");
  if (!id) {
    cost.textContent = "Add a model to see its prices over time.";
    return;
  }
  let h;
  try {
    h = calc.history(id, usageJson(rankUsage(u)), historyOptions());
  } catch (e) {
    cost.textContent = e.message;
    return;
  }
  for (const p of h.periods) {
    const tr = body.insertRow();
    tr.insertCell().textContent = (p.from ?? "(first price)") + (p.region ? ` (${p.region})` : "");
    tr.insertCell().textContent = p.until ?? "now";
    for (const v of [p.inputPerM, p.outputPerM]) {
      const td = tr.insertCell();
      td.className = "num";
      td.textContent = v == null ? "—" : money(v, p.currency);
    }
    const td = tr.insertCell();
    td.className = "num";
    td.textContent = p.total != null ? money(p.total, p.currency) : "not priced";
    if (p.error) td.title = p.error;
    const src = tr.insertCell();
    const url = p.source.match(/https?:\/\/\S+/)?.[0];
    if (url) {
      const a = document.createElement("a");
      a.href = url;
      a.rel = "noopener";
      a.textContent = `read ${p.asOf}`;
      src.append(a);
    } else {
      src.textContent = `${p.source} (read ${p.asOf})`;
    }
  }
  chart.append(historyChart(h));
  const day = $("history-at").value || state.at;
  try {
    const b = calc.quote(id, usageJson(rankUsage(u)), { ...historyOptions(), at: day });
    cost.textContent = `On ${day}, this usage cost ${money(b.total, b.currency)} on ${id} (prices read ${b.schedule.as_of}).`;
  } catch (e) {
    cost.textContent = `On ${day}, ${id} could not price this usage: ${e.message}`;
  }
}

/** A step chart of the price of 1M input and output tokens over the model's periods. */
function historyChart(h) {
  const NS = "http://www.w3.org/2000/svg";
  const today = new Date().toISOString().slice(0, 10);
  // One line per series: the periods of no region, else of the first region listed.
  const priced = h.periods.filter((p) => p.inputPerM != null || p.outputPerM != null);
  const region = priced.some((p) => !p.region) ? null : priced[0]?.region ?? null;
  const periods = priced.filter((p) => (p.region ?? null) === region);
  const wrap = document.createDocumentFragment();
  if (!periods.length) {
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = `${h.model} is not priced per token: the table lists its periods.`;
    wrap.append(p);
    return wrap;
  }
  const t = (d) => Date.parse(`${d}T00:00:00Z`);
  const first = periods.map((p) => p.from).filter(Boolean).sort()[0];
  const last = [today, state.at, ...periods.map((p) => p.until).filter(Boolean)].sort().at(-1);
  const x0 = first ? t(first) : t(last) - 365 * 864e5;
  const x1 = Math.max(t(last), x0 + 864e5);
  // Numbers only place the drawing; every value shown is the engine's exact text.
  const max = Math.max(...periods.flatMap((p) => [Number(p.inputPerM ?? 0), Number(p.outputPerM ?? 0)]), 1e-9);
  const width = Math.max(Math.round($("history-chart").clientWidth || 760), 280);
  const height = 180;
  const left = 70;
  const right = 10;
  const top = 10;
  const bottom = 28;
  const X = (ms) => left + ((ms - x0) / (x1 - x0)) * (width - left - right);
  const Y = (v) => top + (1 - v / max) * (height - top - bottom);
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  const describe = periods.map((p) => `${p.from ?? "start"} to ${p.until ?? "now"}: input ${p.inputPerM == null ? "not priced" : money(p.inputPerM, p.currency)}, output ${p.outputPerM == null ? "not priced" : money(p.outputPerM, p.currency)} per 1M`).join("; ");
  svg.setAttribute("aria-label", `Price per 1M tokens of ${h.model}${region ? ` in ${region}` : ""} over time: ${describe}`);
  const text = (x, y, s, anchor = "start") => {
    const el = document.createElementNS(NS, "text");
    el.setAttribute("x", x);
    el.setAttribute("y", y);
    el.setAttribute("font-size", "12");
    el.setAttribute("fill", "#1c2230");
    el.setAttribute("text-anchor", anchor);
    el.textContent = s;
    svg.append(el);
  };
  const axis = document.createElementNS(NS, "path");
  axis.setAttribute("d", `M${left} ${top} V${height - bottom} H${width - right}`);
  axis.setAttribute("stroke", "#5b6477");
  axis.setAttribute("fill", "none");
  svg.append(axis);
  text(left - 6, top + 10, money(String(max), periods[0].currency), "end");
  text(left - 6, height - bottom, money("0", periods[0].currency), "end");
  text(left, height - 8, new Date(x0).toISOString().slice(0, 10));
  text(width - right, height - 8, new Date(x1).toISOString().slice(0, 10), "end");
  for (const [key, color, label] of [["inputPerM", UNIT_COLORS.input_tokens, "input"], ["outputPerM", UNIT_COLORS.output_tokens, "output"]]) {
    let d = "";
    for (const p of periods) {
      if (p[key] == null) continue;
      const a = X(p.from ? t(p.from) : x0);
      const b = X(p.until ? Math.min(t(p.until), x1) : x1);
      const y = Y(Number(p[key]));
      d += `M${a.toFixed(1)} ${y.toFixed(1)} H${b.toFixed(1)} `;
    }
    const path = document.createElementNS(NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("stroke", color);
    path.setAttribute("stroke-width", "3");
    path.setAttribute("fill", "none");
    path.dataset.series = label;
    svg.append(path);
  }
  wrap.append(svg);
  const legend = document.createElement("ul");
  legend.className = "legend";
  legend.setAttribute("aria-label", "Chart legend");
  for (const [u, label] of [["input_tokens", "Input per 1M"], ["output_tokens", "Output per 1M"]]) {
    const li = document.createElement("li");
    li.innerHTML = `<i style="background:${UNIT_COLORS[u]}"></i>`;
    li.append(label);
    legend.append(li);
  }
  wrap.append(legend);
  return wrap;
}

function bindExtras() {
  $("rank-provider").addEventListener("change", renderRank);
  $("rank-cap").addEventListener("change", renderRank);
  $("history-model").addEventListener("change", () => extrasUsage && renderHistory(extrasUsage));
  $("history-at").value = state.at;
  $("history-at").addEventListener("change", () => extrasUsage && renderHistory(extrasUsage));
}

// ---------------------------------------------------------------- paste and count

function say(status, ok, text) {
  status.className = `status ${ok ? "ok" : "bad"}`;
  status.textContent = text;
}

const article = (word) => (/^[aeiou]/i.test(word) ? "an" : "a");

/** Adds the model a pasted body or request names, when the catalog knows it: returns
 * `{id, added}` or null. */
function adopt(named) {
  if (typeof named !== "string" || !named) return null;
  const id = calc.resolveModel(named);
  if (!id) return null;
  const added = !state.models.includes(id);
  if (added) state.models.push(id);
  return { id, added };
}

/** Fills the quantities from a pasted response: the library recognizes its family (or
 * reads it as the family chosen) and its model; on any failure nothing is changed. */
async function fillFromBody() {
  const status = $("paste-status");
  const body = $("body").value;
  const request = $("request").value.trim() || undefined;
  if (!body.trim()) return say(status, false, "Paste a response body first.");
  say(status, true, "Reading…");
  let read;
  try {
    const c = await full();
    read = c.readResponse($("api").value, body, request);
  } catch (e) {
    return say(status, false, `${e.message}. Nothing was changed.`);
  }
  const u = read.usage;
  state.qty = {};
  state.images = {};
  const parts = [];
  for (const [unit, label] of [...UNITS, ["video_seconds", "Video seconds"]]) {
    if (u[unit]) {
      state.qty[unit] = String(u[unit]);
      parts.push(`${Number(u[unit]).toLocaleString("en-US")} ${label.toLowerCase()}`);
    }
  }
  for (const img of u.images ?? []) {
    state.images[`${img.size ?? ""}|${img.quality ?? ""}`] = String(img.count);
    parts.push(plural(img.count, "image"));
  }
  if (u.resolution) state.videoResolution = u.resolution;
  const model = adopt(read.model);
  update({ layout: true });
  const what = read.stream ? `${read.description}, a saved stream of ${plural(read.events, "event")}` : read.description;
  const named = !read.model ? ""
    : model ? `; model ${read.model}${model.id !== read.model ? ` (${model.id})` : ""}${model.added ? ", added" : ""}`
      : `; model ${read.model}, not in the price tables`;
  say(status, true, `Read as ${read.api}: ${what}${named}. Filled ${parts.join(", ")}.`);
}

/** Fills the quantities from a request alone: the library's upper-bound estimate for the
 * request's own model (else the first chosen), input counted, output at its limit. The
 * library recognizes the request's family and model (`detect`); on any failure nothing is
 * changed. */
async function estimateFromRequest() {
  const status = $("paste-status");
  const request = $("request").value;
  if (!request.trim()) return say(status, false, "Paste a request body first.");
  say(status, true, "Estimating…");
  let c;
  try {
    c = await full();
  } catch (e) {
    return say(status, false, `${e.message}. Nothing was changed.`);
  }
  const named = c.detect(request).model ?? undefined;
  const own = named ? calc.resolveModel(named) : undefined;
  const model = own ?? state.models.find((id) => byName.has(id));
  if (!model) {
    return say(status, false, named
      ? `The request's model “${named}” is not in the price tables: add a model to estimate for. Nothing was changed.`
      : "Add a model first: the estimate depends on it. Nothing was changed.");
  }
  let est;
  try {
    est = c.estimate($("api").value, model, request);
  } catch (e) {
    return say(status, false, `${e.message}. Nothing was changed.`);
  }
  state.qty = {};
  state.images = {};
  const parts = [];
  for (const [unit, label] of [...UNITS, ["video_seconds", "Video seconds"]]) {
    const n = est.usage[unit];
    if (n) {
      state.qty[unit] = String(n);
      parts.push(`${Number(n).toLocaleString("en-US")} ${label.toLowerCase()}`);
    }
  }
  const added = own ? adopt(own)?.added : false;
  update({ layout: true });
  const approx = est.parts.some((p) => p.basis === "estimated" || p.basis === "default");
  const whose = own ? ` (the request's model${added ? ", added" : ""})`
    : named ? ` (the request's “${named}” is not in the price tables: the first model chosen)` : " (the first model chosen)";
  say(status, true, `Estimated as ${article(est.api)} ${est.api} request for ${model}${whose} (${est.counter}${approx ? ", partly approximated" : ""}): ${parts.join(", ")}. Output is the request's limit: an upper bound.`);
}

/** The exact encodings the library has: each can be shown token by token. */
const ENCODINGS = ["o200k_base", "o200k_harmony", "cl100k_base"];

async function countPrompt() {
  const status = $("count-status");
  const text = $("prompt").value;
  const withEncoding = state.models.map((id) => byName.get(id)).find((m) => m?.encoding);
  const encoding = withEncoding?.encoding ?? "o200k_base";
  say(status, true, "Counting…");
  try {
    const c = await full();
    const n = c.countTokens(encoding, text);
    state.qty.input_tokens = String(n);
    update({ layout: true });
    say(status, true, `${plural(n, "token")} (${encoding}${withEncoding ? `, as ${withEncoding.id} counts` : ""}), set as input tokens.`);
    showTokens(c, text, encoding);
  } catch (e) {
    say(status, false, e.message);
  }
}

/** The text's tokens coloured one by one under the encoding chosen, every exact
 * encoding's count beside it, and for each chosen model whether its count is exact or an
 * estimate (a model without a public tokenizer). */
function showTokens(c, text, selected) {
  const box = $("token-view");
  box.hidden = false;
  const choices = $("encodings");
  choices.replaceChildren();
  for (const enc of ENCODINGS) {
    const label = document.createElement("label");
    const radio = document.createElement("input");
    radio.type = "radio";
    radio.name = "encoding";
    radio.value = enc;
    radio.checked = enc === selected;
    radio.addEventListener("change", () => showTokens(c, text, enc));
    label.append(radio, `${enc}: ${plural(c.countTokens(enc, text), "token")}`);
    choices.append(label);
  }
  const view = c.tokenize(selected, text);
  const frag = document.createDocumentFragment();
  view.tokens.forEach((t, i) => {
    const span = document.createElement("span");
    span.className = `tok c${i % 5}${t.ids.length > 1 ? " group" : ""}`;
    span.textContent = t.text;
    span.title = t.ids.length > 1 ? `${t.ids.length} tokens (ids ${t.ids.join(", ")}): their bytes split a character` : `token ${t.ids[0]}`;
    frag.append(span);
  });
  $("tokens").replaceChildren(frag);
  $("tokens").dataset.encoding = view.encoding;
  const notes = [];
  for (const id of state.models) {
    const m = byName.get(id);
    if (!m) continue;
    if (m.encoding) {
      notes.push(`${id}: ${plural(c.countTokens(m.encoding, text), "token")}, exact (${m.encoding}).`);
    } else {
      const a = c.approxCount(id, text);
      notes.push(a
        ? `${id}: about ${plural(a.count, "token")}, an estimate (${a.counter}; its vendor publishes no tokenizer).`
        : `${id}: no tokenizer and no estimator: its count is not known before the response.`);
    }
  }
  if (view.truncated) notes.push(`The first ${plural(view.tokens.length, "span")} are shown; the counts cover the whole text.`);
  $("token-estimates").textContent = notes.join(" ");
}

// ---------------------------------------------------------------- start

function bindControls() {
  const bind = (id, key, ev = "input") => {
    const el = $(id);
    el.value = state[key];
    el.addEventListener(ev, () => { state[key] = el.value.trim(); update(); });
  };
  bind("at", "at", "change");
  bind("tier", "tier", "change");
  bind("currency", "currency", "change");
  bind("fx", "fx");
  bind("group", "group");
  bind("requests", "requests");
  bind("per", "per", "change");
  bindExtras();
  for (const api of calc.apis()) $("api").add(new Option(api, api));
  $("fill").addEventListener("click", fillFromBody);
  $("estimate").addEventListener("click", estimateFromRequest);
  $("count").addEventListener("click", countPrompt);
  $("share").addEventListener("click", async () => {
    try {
      flushHash();
      await navigator.clipboard.writeText(location.href);
      $("share").textContent = "Link copied";
    } catch {
      $("share").textContent = "Copy the address bar";
    }
    setTimeout(() => { $("share").textContent = "Copy link to this quote"; }, 2000);
  });
  window.addEventListener("hashchange", () => {
    readHash();
    for (const k of ["at", "tier", "currency", "fx", "group", "requests", "per"]) $(k).value = state[k];
    update({ layout: true });
  });
}

/** Indexes model summaries by id and alias (the catalog's own order kept in `catalog`). */
function index(models) {
  catalog = models;
  byName = new Map();
  for (const m of catalog) {
    byName.set(m.id, m);
    for (const a of m.aliases) if (!byName.has(a)) byName.set(a, m);
  }
}

/** Every model's summary: the picker's list, the ranking's providers. */
function loadCatalog() {
  index(calc.models());
  fillRankProviders();
  search.disabled = false;
  search.placeholder = `Search ${catalog.length} models: gpt-4.1, claude, gemini…`;
  if (!list.hidden) openList();
  update({ layout: true });
  document.documentElement.dataset.catalog = "full";
}

async function main() {
  try {
    // The module streams straight into the compiler (index.html), so its progress is not
    // counted: the bar runs without a value, and says how much is coming.
    showLoading("Loading the price tables…");
    calc = await self.tariffCore;
  } catch (e) {
    $("loading").hidden = true;
    const p = $("load-error");
    p.hidden = false;
    p.textContent = `The calculator could not start: ${e.message}`;
    return;
  }
  // The first quote needs only the chosen models' summaries; the other few hundred are
  // summarized just after it is shown, for the picker and the ranking.
  readHash();
  state.models = [...new Set(state.models.map((m) => calc.resolveModel(m) ?? m))];
  index(calc.modelsOf(state.models, state.at || undefined));
  bindControls();
  // Before the update, which schedules the ranking: the picker's list comes first.
  afterPaint(() => {
    performance.mark("tariff-first-quote-painted");
    // The sections below the first screen join the page now (style.css), whatever the
    // model list's loading does.
    document.documentElement.dataset.page = "full";
    loadCatalog();
  });
  update({ layout: true });
  if (!fullPromise) $("loading").hidden = true;
  performance.mark("tariff-first-quote");
  document.documentElement.dataset.ready = "true";
  // Bars are drawn at the chart's width: redraw when it changes. (Read in the observer,
  // after layout: reading it here would force a second layout before the first paint.)
  new ResizeObserver(() => {
    if ($("chart").clientWidth !== chartWidth) update();
  }).observe($("chart"));
}

main();

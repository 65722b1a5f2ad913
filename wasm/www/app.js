// The calculator page: state in the URL, the engine in WebAssembly, no server.
import init, { Calculator } from "./pkg/tariff_wasm.js";

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
const MODEL_COLORS = ["#2f5bea", "#e8833a", "#0e9f6e", "#a855f7", "#db2777", "#ca8a04", "#475569"];
const DEFAULTS = { models: ["gpt-4.1", "claude-sonnet-4-5"], qty: { input_tokens: "10000", output_tokens: "1000" } };

let calc;
let catalog = [];
let byName = new Map();

const state = {
  models: [],
  at: new Date().toISOString().slice(0, 10),
  tier: "standard",
  currency: "USD",
  fx: "",
  group: "1",
  qty: {}, // unit -> text as typed
  images: {}, // "size|quality" -> text
  videoResolution: "",
};

// ---------------------------------------------------------------- URL state

const INITIAL = JSON.stringify(state);

function readHash() {
  Object.assign(state, JSON.parse(INITIAL));
  const p = new URLSearchParams(location.hash.slice(1));
  if (!p.has("m")) {
    state.models = DEFAULTS.models.filter((m) => byName.has(m));
    state.qty = { ...DEFAULTS.qty };
    return;
  }
  // Unknown names stay: their card says so, with the catalog's suggestions.
  state.models = p.get("m").split(",").filter(Boolean);
  for (const k of ["at", "tier", "currency", "fx", "group"]) if (p.has(k)) state[k] = p.get(k);
  if (p.has("vr")) state.videoResolution = p.get("vr");
  for (const pair of (p.get("q") || "").split(",").filter(Boolean)) {
    const [unit, value] = pair.split(":");
    state.qty[unit] = value;
  }
  for (const pair of (p.get("img") || "").split(",").filter(Boolean)) {
    const i = pair.lastIndexOf(":");
    state.images[pair.slice(0, i)] = pair.slice(i + 1);
  }
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("m", state.models.join(","));
  p.set("at", state.at);
  if (state.tier !== "standard") p.set("tier", state.tier);
  if (state.currency !== "USD") p.set("currency", state.currency);
  if (state.fx) p.set("fx", state.fx);
  if (state.group !== "1") p.set("group", state.group);
  const q = Object.entries(state.qty).filter(([, v]) => v !== "" && v !== "0");
  if (q.length) p.set("q", q.map(([k, v]) => `${k}:${v}`).join(","));
  const img = Object.entries(state.images).filter(([, v]) => v !== "" && v !== "0");
  if (img.length) p.set("img", img.map(([k, v]) => `${k}:${v}`).join(","));
  if (state.videoResolution) p.set("vr", state.videoResolution);
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

function openList() {
  const terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
  shown = catalog.filter((m) => matches(m, terms));
  list.replaceChildren();
  const providers = [...new Set(shown.map((m) => m.provider))];
  shown = providers.flatMap((p) => shown.filter((m) => m.provider === p));
  let i = 0;
  for (const p of providers) {
    const group = document.createElement("li");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", p);
    const head = document.createElement("div");
    head.className = "group";
    head.setAttribute("aria-hidden", "true");
    head.textContent = p;
    const ul = document.createElement("ul");
    ul.setAttribute("role", "none");
    ul.style.cssText = "list-style:none;margin:0;padding:0";
    for (const m of shown.filter((x) => x.provider === p)) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = `opt-${i++}`;
      li.dataset.id = m.id;
      li.setAttribute("aria-selected", "false");
      const chosen = state.models.includes(m.id) ? " (added)" : "";
      li.innerHTML = `<span></span><span class="kind"></span>`;
      li.firstChild.textContent = m.id + chosen;
      li.lastChild.textContent = m.kind;
      li.addEventListener("mousedown", (e) => { e.preventDefault(); addModel(m.id); });
      ul.append(li);
    }
    group.append(head, ul);
    list.append(group);
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

search.addEventListener("input", openList);
search.addEventListener("focus", openList);
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
  update({ layout: true });
  announce(`${id} added; ${state.models.length} models compared.`);
}

function removeModel(id) {
  state.models = state.models.filter((m) => m !== id);
  update({ layout: true });
  announce(`${id} removed.`);
  search.focus();
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
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = MODEL_COLORS[i % MODEL_COLORS.length];
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

/** The inputs the chosen models need: their priced units, image variants, resolutions. */
function needed() {
  const models = state.models.map((id) => byName.get(id)).filter(Boolean);
  const units = new Set(models.flatMap((m) => m.units));
  const variants = new Map();
  for (const m of models) {
    for (const v of m.imageVariants) variants.set(`${v.size ?? ""}|${v.quality ?? ""}`, v);
  }
  const resolutions = [...new Set(models.flatMap((m) => m.videoResolutions))];
  return { units, variants, resolutions };
}

function numberInput(id, label, value, seconds) {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const l = document.createElement("label");
  l.htmlFor = id;
  l.textContent = label;
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
  wrap.append(l, input, msg);
  return [wrap, input];
}

function renderQuantities() {
  const box = $("qty");
  const focused = document.activeElement?.id;
  box.replaceChildren();
  const { units, variants, resolutions } = needed();
  for (const [unit, label] of UNITS) {
    if (!units.has(unit)) continue;
    const [wrap, input] = numberInput(`q-${unit}`, label, state.qty[unit], SECONDS.has(unit));
    input.addEventListener("input", () => { state.qty[unit] = input.value.trim(); update(); });
    box.append(wrap);
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
      const f = document.createElement("div");
      f.className = "field";
      f.innerHTML = `<label for="q-resolution">Video resolution</label><select id="q-resolution"></select>`;
      const sel = f.querySelector("select");
      for (const r of ["", ...resolutions]) sel.add(new Option(r || "(not given)", r));
      sel.value = state.videoResolution;
      sel.addEventListener("change", () => { state.videoResolution = sel.value; update(); });
      box.append(f);
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

/** Reads a quantity as typed: "" is zero; bad text is an error naming the field. */
function parseQuantity(text, label, seconds) {
  const t = (text ?? "").replace(/[,_\s]/g, "");
  if (t === "") return 0;
  const ok = seconds ? /^\d+(\.\d+)?$/.test(t) : /^\d+$/.test(t);
  if (!ok) {
    throw new Error(`${label}: “${text}” is not ${seconds ? "a number of seconds" : "a whole number"} (0 or more)`);
  }
  return Number(t);
}

/** The usage record of the inputs; marks bad inputs and returns the errors. */
function usage() {
  const u = {};
  const errors = [];
  const mark = (id, err) => {
    const input = $(id);
    if (!input) return;
    input.setAttribute("aria-invalid", err ? "true" : "false");
    $(`${id}-msg`).textContent = err ?? "";
  };
  const { units, variants } = needed();
  for (const [unit, label] of [...UNITS, ["video_seconds", "Video seconds"]]) {
    if (!units.has(unit)) continue;
    try {
      const n = parseQuantity(state.qty[unit], label, SECONDS.has(unit));
      if (n) u[unit] = n;
      mark(`q-${unit}`, null);
    } catch (e) {
      errors.push(e.message);
      mark(`q-${unit}`, e.message);
    }
  }
  if (u.video_seconds && state.videoResolution) u.resolution = state.videoResolution;
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
  return { usage: u, errors };
}

// ---------------------------------------------------------------- quoting

function fxTable() {
  const t = state.fx.trim();
  if (!t) return { fx: [], error: null };
  if (!/^\d+(\.\d+)?$/.test(t)) {
    return { fx: [], error: `1 USD in CNY: “${t}” is not a positive number` };
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

function quoteAll(u) {
  const { fx } = fxTable();
  const base = { at: state.at || undefined, serviceTier: state.tier, fx };
  const quota = state.currency === "quota" ? { groupRatio: state.group || "1" } : undefined;
  return state.models.map((id) => {
    const options = { ...base, currency: state.currency, quota };
    try {
      return { id, bill: calc.quote(id, u, options) };
    } catch (e) {
      // A bill in its own currency is still useful when no rate converts it.
      if (/rate/.test(e.message)) {
        try {
          const bill = calc.quote(id, u, { ...base });
          return { id, bill, note: `Shown in ${bill.currency}: enter “1 USD in CNY” to convert.` };
        } catch { /* report the first error */ }
      }
      return { id, error: e.message };
    }
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

function billCard(r, i) {
  const card = document.createElement("article");
  card.className = "bill";
  card.setAttribute("aria-labelledby", `bill-${i}`);
  const h = document.createElement("h3");
  h.id = `bill-${i}`;
  h.innerHTML = `<span class="swatch" aria-hidden="true" style="display:inline-block;width:.7rem;height:.7rem;border-radius:3px;background:${MODEL_COLORS[i % MODEL_COLORS.length]}"></span><span></span>`;
  h.lastChild.textContent = r.id;
  card.append(h);
  if (r.error) {
    const p = document.createElement("p");
    p.className = "problem";
    p.setAttribute("role", "alert");
    p.textContent = r.error;
    card.append(p);
    return card;
  }
  const b = r.bill;
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
  const labelW = 190;
  const width = 760;
  const barW = width - labelW - 150;
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
    label.textContent = r.id.length > 26 ? `${r.id.slice(0, 25)}…` : r.id;
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

function summarize(results, inputErrors) {
  const s = $("summary");
  const note = s.dataset.note ? `${s.dataset.note} ` : "";
  s.dataset.note = "";
  if (inputErrors.length) {
    s.textContent = `${note}Fix the highlighted quantity: ${inputErrors[0]}`;
    return;
  }
  if (!results.length) {
    s.textContent = `${note}Add a model to see its bill.`;
    return;
  }
  const parts = results.map((r) =>
    r.bill
      ? `${r.id}: ${r.bill.quota ? `${r.bill.quota.units.toLocaleString("en-US")} quota units` : money(r.bill.total, r.bill.currency)}`
      : `${r.id}: not priced`);
  s.textContent = note + parts.join(" · ");
}

let lastLayout = "";

/** Re-quotes everything from `state` and redraws the results (and the inputs when the
 * chosen models change). */
function update({ layout = false } = {}) {
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
  const { usage: u, errors } = usage();
  if (fxError) errors.push(fxError);
  const bills = $("bills");
  if (errors.length) {
    // A bad input never shows a price: the old bills go, the message stays.
    bills.replaceChildren();
    $("chart").replaceChildren();
    summarize([], errors);
    writeHash();
    return;
  }
  const results = quoteAll(u);
  bills.replaceChildren(...results.map(billCard));
  renderChart(results);
  summarize(results, []);
  writeHash();
}

// ---------------------------------------------------------------- paste and count

function fillFromBody() {
  const status = $("paste-status");
  const body = $("body").value;
  const request = $("request").value.trim() || undefined;
  if (!body.trim()) {
    status.className = "status bad";
    status.textContent = "Paste a response body first.";
    return;
  }
  const apis = $("api").value === "auto" ? calc.apis() : [$("api").value];
  let read;
  let firstError;
  for (const api of apis) {
    try {
      read = { api, usage: calc.usageOfResponse(api, body, request) };
      break;
    } catch (e) {
      firstError ??= e.message;
      if ($("api").value === "auto" && /not valid|not a .* body/.test(e.message)) continue;
      if ($("api").value !== "auto") break;
    }
  }
  if (!read) {
    status.className = "status bad";
    status.textContent = firstError;
    return;
  }
  state.qty = {};
  state.images = {};
  const u = read.usage;
  const parts = [];
  for (const [unit, label] of [...UNITS, ["video_seconds", "Video seconds"]]) {
    if (u[unit]) {
      state.qty[unit] = String(u[unit]);
      parts.push(`${Number(u[unit]).toLocaleString("en-US")} ${label.toLowerCase()}`);
    }
  }
  for (const img of u.images ?? []) {
    state.images[`${img.size ?? ""}|${img.quality ?? ""}`] = String(img.count);
    parts.push(`${img.count} image(s)`);
  }
  if (u.resolution) state.videoResolution = u.resolution;
  // The body names its model: add it when the catalog knows it.
  try {
    const named = JSON.parse(body).model;
    if (named && byName.has(named)) {
      const id = byName.get(named).id;
      if (!state.models.includes(id)) state.models.push(id);
    }
  } catch { /* an SSE stream, or no model field */ }
  update({ layout: true });
  status.className = "status ok";
  status.textContent = `Read as ${read.api}: ${parts.join(", ") || "no usage"}.`;
}

/** Fills the quantities from a request alone: the library's upper-bound estimate for the
 * first chosen model (input counted, output at the request's limit). */
function estimateFromRequest() {
  const status = $("paste-status");
  const request = $("request").value;
  const model = state.models.find((id) => byName.has(id));
  if (!request.trim() || !model) {
    status.className = "status bad";
    status.textContent = !model ? "Add a model first: the estimate depends on it." : "Paste a request body first.";
    return;
  }
  const apis = $("api").value === "auto" ? calc.apis() : [$("api").value];
  let est;
  let firstError;
  for (const api of apis) {
    try {
      est = calc.estimate(api, model, request);
      break;
    } catch (e) {
      firstError ??= e.message;
    }
  }
  if (!est) {
    status.className = "status bad";
    status.textContent = firstError;
    return;
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
  update({ layout: true });
  const approx = est.parts.some((p) => p.basis === "estimated" || p.basis === "default");
  status.className = "status ok";
  status.textContent = `Estimated as a ${est.api} request for ${model} (${est.counter}${approx ? ", partly approximated" : ""}): ${parts.join(", ")}. Output is the request's limit: an upper bound.`;
}

function countPrompt() {
  const status = $("count-status");
  const text = $("prompt").value;
  const withEncoding = state.models.map((id) => byName.get(id)).find((m) => m?.encoding);
  const encoding = withEncoding?.encoding ?? "o200k_base";
  try {
    const n = calc.countTokens(encoding, text);
    state.qty.input_tokens = String(n);
    update({ layout: true });
    status.className = "status ok";
    status.textContent = `${n.toLocaleString("en-US")} tokens (${encoding}${withEncoding ? `, as ${withEncoding.id} counts` : ""}), set as input tokens.`;
  } catch (e) {
    status.className = "status bad";
    status.textContent = e.message;
  }
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
  for (const api of calc.apis()) $("api").add(new Option(api, api));
  $("fill").addEventListener("click", fillFromBody);
  $("estimate").addEventListener("click", estimateFromRequest);
  $("count").addEventListener("click", countPrompt);
  $("share").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      $("share").textContent = "Link copied";
    } catch {
      $("share").textContent = "Copy the address bar";
    }
    setTimeout(() => { $("share").textContent = "Copy link to this quote"; }, 2000);
  });
  window.addEventListener("hashchange", () => {
    readHash();
    for (const k of ["at", "tier", "currency", "fx", "group"]) $(k).value = state[k];
    update({ layout: true });
  });
}

async function main() {
  try {
    await init();
    performance.mark("tariff-wasm-ready");
    calc = new Calculator();
    catalog = calc.models();
    performance.mark("tariff-catalog-ready");
  } catch (e) {
    const p = $("load-error");
    p.hidden = false;
    p.textContent = `The calculator could not start: ${e.message}`;
    return;
  }
  for (const m of catalog) {
    byName.set(m.id, m);
    for (const a of m.aliases) if (!byName.has(a)) byName.set(a, m);
  }
  readHash();
  state.models = [...new Set(state.models.map((m) => byName.get(m)?.id ?? m))];
  bindControls();
  update({ layout: true });
  performance.mark("tariff-first-quote");
  document.documentElement.dataset.ready = "true";
}

main();

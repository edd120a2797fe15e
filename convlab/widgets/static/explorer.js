// convlab explorers: draw the payload Python sends, answer hover / click / play locally.
// Plain ES module for anywidget (no build step, nothing fetched). The payload holds every
// number and index map; this file only looks them up and draws SVG.
const SVG = "http://www.w3.org/2000/svg";
// Pair colours come with the payload's palette (convlab.viz.style, the one the figures use);
// these are only the fallback before the first payload arrives.
let PAIR = ["#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#F0E442"];

function svgEl(tag, attrs, parent) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (parent) parent.appendChild(el);
  return el;
}

function htmlEl(tag, attrs, parent, text) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 0.1 ? 3 : 2));
// A factor inside a product: negative numbers in brackets, "3·(-2)".
const factor = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));
// Two significant figures without the leading zero (".059"): fits a 30 px cell at 11 px.
const short = (v) => (Number.isInteger(v) ? String(v)
  : String(+v.toPrecision(2)).replace(/^(-?)0\./, "$1."));
// Relative luminance of "rgb(r,g,b)" (WCAG 2.1), and the text colour that reads on it.
function luminance(rgb) {
  const [r, g, b] = rgb.match(/\d+/g).map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
// Black text on light fills, white on dark ones: whichever contrast is higher.
const inkOn = (rgb) => ((luminance(rgb) + 0.05) / 0.05 >= 1.05 / (luminance(rgb) + 0.05) ? "#111" : "#fff");
// Room a grid needs: its cells or its title, whichever is wider.
const titleWidth = (title) => (title ? title.length * 7.5 : 0);

// A grid of cells at (x, y). values: 2-D array (or null + shape). index(i, j) gives data-index.
// Returns {cells: Map data-index -> <g>, width, height}.
function grid(svg, opt) {
  const { name, x, y, cell } = opt;
  const rows = opt.values ? opt.values.length : opt.shape[0];
  const cols = opt.values ? opt.values[0].length : opt.shape[1];
  const ch = opt.cellHeight || cell;
  const g = svgEl("g", { class: "cl-grid", "data-grid-box": name }, svg);
  const cells = new Map();
  const showText = opt.values && ch >= 13 && cell >= 13 && (!opt.heat || opt.numbers);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const index = opt.index ? opt.index(i, j) : `${i},${j}`;
      const extra = opt.kinds ? opt.kinds(i, j) : "";
      const c = svgEl("g", { class: `cl-cell ${extra}`, "data-grid": name, "data-index": index,
                             transform: `translate(${x + j * cell},${y + i * ch})` }, g);
      const rect = svgEl("rect", { width: cell, height: ch }, c);
      const fill = opt.heat ? opt.heat(opt.values[i][j]) : null;
      if (fill) rect.setAttribute("style", `fill:${fill}`);
      if (showText) {
        const t = svgEl("text", { x: cell / 2, y: ch / 2, class: "cl-num",
                                  "font-size": opt.fontSize || Math.min(13, Math.round(ch * 0.5)) }, c);
        if (fill) t.setAttribute("style", `fill:${inkOn(fill)}`);
        t.textContent = (opt.format || fmt)(opt.values[i][j]);
      }
      cells.set(index, c);
    }
  }
  if (opt.title) {
    const t = svgEl("text", { x, y: y - 7, class: "cl-title" }, g);
    t.textContent = opt.title;
  }
  return { cells, width: cols * cell, height: rows * ch, el: g, x, y };
}

function badge(cellEl, text, colour) {
  const rect = cellEl.firstChild;
  const w = +rect.getAttribute("width"), h = +rect.getAttribute("height");
  const b = svgEl("text", { x: w - 2, y: Math.min(11, h - 1), class: "cl-badge" }, cellEl);
  b.textContent = text;
  cellEl.style.setProperty("--pair", colour);
  cellEl.classList.add("has-badge");
  return b;
}

// Lit-state bookkeeping shared by every explorer: light a list of cells, clear them all at once.
class Lights {
  constructor() { this.cells = []; this.badges = []; }
  light(el, colour, label, paired = true) {
    if (!el) return;
    el.classList.add("is-lit");
    if (colour && paired) el.classList.add("is-paired");
    this.cells.push(el);
    if (label !== undefined) this.badges.push(badge(el, label, colour));
  }
  mark(el, cls) { if (el) { el.classList.add(cls); this.cells.push(el); } }
  clear() {
    for (const el of this.cells) {
      el.classList.remove("is-lit", "is-paired", "is-window", "is-target", "is-selected", "has-badge");
      el.style.removeProperty("--pair");
    }
    for (const b of this.badges) b.remove();
    this.cells = []; this.badges = [];
  }
}

// ------------------------------------------------------------------ controls
function drawControls(model, box, specs, onLocal) {
  const inputs = {};
  for (const s of specs) {
    const row = htmlEl("label", { class: `cl-control convlab-control-${s.name}`, "data-control": s.name }, box);
    htmlEl("span", { class: "cl-label" }, row, s.label);
    let input;
    if (s.kind === "choice" || s.kind === "padding") {
      input = htmlEl("select", {}, row);
      for (const c of s.choices) htmlEl("option", { value: String(c) }, input, String(c));
    } else {
      input = htmlEl("input", { type: "range", min: s.min, max: s.max, step: s.step }, row);
      htmlEl("output", { class: "cl-readout" }, row);
    }
    const parse = (v) => (s.kind === "choice" ? v : s.kind === "padding" ?
      (/^\d+$/.test(v) ? parseInt(v, 10) : v) : s.kind === "float" ? parseFloat(v) : parseInt(v, 10));
    const show = () => {
      input.value = String(model.get(s.name));
      const out = row.querySelector("output");
      if (out) out.textContent = String(model.get(s.name));
    };
    input.addEventListener("input", () => {
      model.set(s.name, parse(input.value));
      model.save_changes();
      show();
      if (onLocal) onLocal(s.name);
    });
    model.on(`change:${s.name}`, show);
    show();
    inputs[s.name] = row;
  }
  return inputs;
}

function frame(model, el, kind) {
  const root = htmlEl("div", { class: `convlab-explorer convlab-${kind}`, "data-redraws": "0" }, el);
  // keys typed into the controls belong to them, not to the notebook's shortcuts (JupyterLab / Lumino)
  const controls = htmlEl("div", { class: "cl-controls", "data-lm-suppress-shortcuts": "true" }, root);
  controls.addEventListener("keydown", (ev) => ev.stopPropagation());
  const main = htmlEl("div", { class: "cl-main" }, root);
  const summary = htmlEl("div", { class: "convlab-summary" }, main);
  const error = htmlEl("div", { class: "convlab-error", role: "alert" }, main);
  const tools = htmlEl("div", { class: "cl-tools" }, main);
  const stage = htmlEl("div", { class: "cl-stage" }, main);
  const detail = htmlEl("div", { class: "convlab-detail" }, main);
  // what hover, keys or click show, in words, for a screen reader (polite: never interrupts)
  const live = htmlEl("div", { class: "convlab-live cl-sr-only", role: "status", "aria-live": "polite",
                               "aria-atomic": "true" }, main);
  stage.setAttribute("data-lm-suppress-shortcuts", "true");
  const palette = model.get("palette") || {};
  for (const [name, colour] of Object.entries(palette.css || {})) root.style.setProperty(`--cl-${name}`, colour);
  if (palette.pairs) PAIR = palette.pairs;
  let shown = "";
  // With an impossible setting the picture keeps the last valid one: say so, so the summary
  // describes the picture and never contradicts the controls.
  const setSummary = (html) => { shown = html; paintSummary(); };
  const paintSummary = () => {
    const msg = model.get("error");
    summary.innerHTML = msg ? `<span class="cl-stale-note">Picture below: the last valid setting ` +
      `(the controls' setting is impossible)</span> — ${shown}` : shown;
  };
  const showError = () => {
    const msg = model.get("error");
    error.textContent = msg;
    root.classList.toggle("is-stale", !!msg);
    paintSummary();
  };
  model.on("change:error", showError);
  showError();
  const announce = (text) => { if (live.textContent !== text) live.textContent = text; };
  return { root, controls, summary, error, tools, stage, detail, live, announce, setSummary };
}

// Rows or columns read, in words: "1–3" when consecutive, "1, 3, 5" otherwise.
function span(list) {
  const step = list.length > 1 ? list[1] - list[0] : 1;
  const even = list.every((v, q) => q === 0 || v - list[q - 1] === step);
  if (list.length > 2 && even && step === 1) return `${list[0]}–${list[list.length - 1]}`;
  return list.join(", ");
}

// One tab stop per pickable grid: arrows move the active cell, Enter / Space pick it, Escape
// clears.  The grid is a focusable SVG group with a label; a ring shows when it has focus.
function keyGrid(box, label, shape, hooks) {
  const g = box.el;
  g.setAttribute("tabindex", "0");
  g.setAttribute("role", "group");
  g.setAttribute("aria-label", `${label}, ${shape[0]} by ${shape[1]} cells: arrow keys move, ` +
    "Enter or Space selects, Escape clears");
  g.setAttribute("focusable", "true");
  const pad = 3;
  const ring = svgEl("rect", { class: "cl-focus-ring", x: box.x - pad, y: box.y - pad,
    width: box.width + 2 * pad, height: box.height + 2 * pad, rx: 3 });
  g.insertBefore(ring, g.firstChild);
  g.addEventListener("focus", () => hooks.move(...hooks.active()));
  g.addEventListener("keydown", (ev) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
                    Home: [-shape[0], -shape[1]], End: [shape[0], shape[1]] };
    ev.stopPropagation();  // the notebook's shortcuts (arrows move cells) stay out
    if (moves[ev.key]) {
      const [i, j] = hooks.active(), [di, dj] = moves[ev.key];
      hooks.move(Math.min(Math.max(i + di, 0), shape[0] - 1), Math.min(Math.max(j + dj, 0), shape[1] - 1));
    } else if (ev.key === "Enter" || ev.key === " ") {
      hooks.pick(...hooks.active());
    } else if (ev.key === "Escape") {
      hooks.clear();
    } else {
      return;
    }
    ev.preventDefault();
  });
}

// Count redraws; keep the last one's duration (ms) and source ("kernel" or "prefetch") on the root.
function redrawn(root, t0, source = "kernel") {
  root.dataset.drawMs = (performance.now() - t0).toFixed(1);
  root.dataset.source = source;
  root.dataset.redraws = String(+root.dataset.redraws + 1);
}

function newSvg(stage, width, height) {
  stage.replaceChildren();
  return svgEl("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "cl-svg" }, stage);
}

function cellSize(n) { return n <= 10 ? 32 : n <= 14 ? 24 : 18; }

// ------------------------------------------------------------------ conv explorer
function renderConv(model, el) {
  const f = frame(model, el, "conv");
  // A one-step move draws at once from the payload's prefetched neighbours (payload.next);
  // the kernel's identical answer then only replaces `current`.
  let current = model.get("payload"), drawnKey = null;
  drawControls(model, f.controls, model.get("controls"), (name) => {
    const near = current.next && current.next[name] && current.next[name][String(model.get(name))];
    if (near) draw(near, "prefetch");
  });
  const play = htmlEl("button", { class: "cl-play", type: "button" }, f.tools, "\u25B6 play");
  htmlEl("span", { class: "cl-hint" }, f.tools,
    "hover an output cell, or Tab to the output grid and use the arrow keys; or press play");
  const lights = new Lights();
  let view = null, timer = null, step = 0, active = model.get("selected");
  const still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function light(i, j) {
    const p = current;
    lights.clear();
    const rows = p.window_rows[i], cols = p.window_cols[j], k = p.kernel_size[0];
    const pt = p.padding[0][0], pl = p.padding[1][0], [h, w] = p.input_shape;
    const values = [];
    for (let c = 0; c < p.channels; c++) {
      for (let m = 0; m < k; m++) {
        for (let n = 0; n < k; n++) {
          const a = rows[m], b = cols[n], wv = p.w[c][m][n];
          const inside = a >= pt && a < pt + h && b >= pl && b < pl + w;
          // the weight that meets this cell, in its corner (as in the conv_arithmetic pictures)
          lights.light(view.input.get(`${c},${a},${b}`), null, `\u00d7${wv}`, false);
          lights.mark(view.kernel.get(`${c},${m},${n}`), "is-window");
          values.push(`${factor(inside ? p.x[c][a - pt][b - pl] : 0)}\u00b7${factor(wv)}`);
        }
      }
    }
    const out = view.output.get(`${i},${j}`);
    lights.light(out);
    if (out) out.classList.add("is-selected");
    active = [i, j];
    const shown = values.length > 27 ? values.slice(0, 27).concat(["\u2026"]) : values;
    f.detail.replaceChildren();
    htmlEl("b", {}, f.detail, `out[${i},${j}] = ${fmt(p.out[i][j])}`);
    htmlEl("span", {}, f.detail, ` = ${shown.join(" + ")}   (${values.length} products x\u00b7w ` +
      `over the window${p.channels > 1 ? ", all channels" : ""}; padding cells read 0)`);
    const chans = p.channels > 1 ? `, channels 0\u2013${p.channels - 1}` : "";
    f.announce(`output y[${i}, ${j}] reads padded input rows ${span(rows)}, columns ${span(cols)}` +
      `${chans}: ${values.length} products, sum ${fmt(p.out[i][j])}`);
  }

  function draw(p, source) {
    const t0 = performance.now();
    current = p;
    drawnKey = JSON.stringify(p.settings);
    stopPlay();
    const [ph, pw] = p.padded_shape, k = p.kernel_size[0], [ho, wo] = p.output_shape;
    const cell = cellSize(Math.max(ph, pw));
    const kcell = Math.min(cell, 26), gap = 40, top = 24, chGap = 26;
    const pt = p.padding[0][0], pl = p.padding[1][0], [h, w] = p.input_shape;
    const chanH = ph * cell, kernH = k * kcell;
    const height = top + p.channels * Math.max(chanH, kernH) + (p.channels - 1) * chGap + 8;
    const xK = Math.max(pw * cell, titleWidth("padded input channel 0")) + gap;
    const xO = xK + Math.max(k * kcell, titleWidth("kernel channel 0")) + gap;
    const width = xO + wo * cell + 8;
    const svg = newSvg(f.stage, Math.max(width, 300), Math.max(height, ho * cell + top + 8));
    view = { input: new Map(), kernel: new Map(), output: null };
    for (let c = 0; c < p.channels; c++) {
      const y = top + c * (Math.max(chanH, kernH) + chGap);
      const padded = [];
      for (let a = 0; a < ph; a++) {
        const row = [];
        for (let b = 0; b < pw; b++) {
          const inside = a >= pt && a < pt + h && b >= pl && b < pl + w;
          row.push(inside ? p.x[c][a - pt][b - pl] : 0);
        }
        padded.push(row);
      }
      const ci = p.channels > 1 ? ` channel ${c}` : "";
      const gi = grid(svg, { name: "input", values: padded, x: 0, y, cell,
        index: (a, b) => `${c},${a},${b}`, title: `padded input${ci}`,
        kinds: (a, b) => {
          const inside = a >= pt && a < pt + h && b >= pl && b < pl + w;
          if (!inside) return "is-pad";
          return p.covered[a - pt][b - pl] ? "" : "is-uncovered";
        } });
      gi.cells.forEach((v, key) => view.input.set(key, v));
      const gk = grid(svg, { name: "kernel", values: p.w[c], x: xK, y, cell: kcell,
        index: (m, n) => `${c},${m},${n}`, title: `kernel${ci}` });
      gk.cells.forEach((v, key) => view.kernel.set(key, v));
    }
    const go = grid(svg, { name: "output", values: p.out, x: xO, y: top, cell,
                           title: "output", kinds: () => "is-pickable" });
    view.output = go.cells;
    // the operators between the grids, as in the static figures
    const mid = top + Math.min(chanH, kernH, ho * cell) / 2;
    for (const [sym, x0] of [["\u22c6", xK - gap / 2], ["=", xO - gap / 2]]) {
      const t = svgEl("text", { x: x0, y: mid, class: "cl-operator", "aria-hidden": "true" }, svg);
      t.textContent = sym;
    }
    keyGrid(go, "output grid", [ho, wo], {
      active: () => [Math.min(active[0], ho - 1), Math.min(active[1], wo - 1)],
      move: (i, j) => { stopPlay(); light(i, j); },
      pick: (i, j) => { light(i, j); model.set("selected", [i, j]); model.save_changes(); },
      clear: () => { stopPlay(); lights.clear(); f.detail.replaceChildren();
                     f.announce("selection cleared"); },
    });
    svg.addEventListener("pointerover", (ev) => {
      const c = ev.target.closest("[data-grid=output]");
      if (c && !timer) { const [i, j] = c.dataset.index.split(",").map(Number); light(i, j); }
    });
    svg.addEventListener("click", (ev) => {
      const c = ev.target.closest("[data-grid=output]");
      if (c) { model.set("selected", c.dataset.index.split(",").map(Number)); model.save_changes(); }
    });
    f.setSummary(p.summary);
    const [si, sj] = model.get("selected");
    light(Math.min(si, ho - 1), Math.min(sj, wo - 1));
    redrawn(f.root, t0, source);
  }

  function stopPlay() {
    if (timer) { clearInterval(timer); timer = null; play.textContent = "\u25B6 play";
                 play.setAttribute("aria-pressed", "false"); }
  }
  // With prefers-reduced-motion the button steps once per press instead of animating.
  if (still) play.textContent = "\u25B6 step";
  play.addEventListener("click", () => {
    if (timer) { stopPlay(); return; }
    const [ho, wo] = current.output_shape;
    const tick = () => {
      step = step % (ho * wo);
      const i = Math.floor(step / wo), j = step % wo;
      light(i, j);
      model.set("selected", [i, j]);
      model.save_changes();
      step += 1;
      if (!still && step >= ho * wo) stopPlay();
    };
    if (still) { tick(); return; }
    step = 0;
    play.textContent = "\u275A\u275A pause";
    play.setAttribute("aria-pressed", "true");
    tick();
    timer = setInterval(tick, 450);
  });
  model.on("change:payload", () => {
    const p = model.get("payload");
    if (JSON.stringify(p.settings) === drawnKey) current = p;  // already drawn from `next`
    else draw(p, "kernel");
  });
  draw(current, "kernel");
  return () => stopPlay();
}


// ------------------------------------------------------------------ backward explorer
// Grids per (target, view); each returns {maps: {grid name -> Map}, pick: grid name}.
function layoutBackward(svg, p, target, viewName) {
  const [n] = p.input_shape, k = p.kernel_size[0], [ho, wo] = p.output_shape;
  const cell = 26, gap = 44, top = 24, maps = {}, boxes = {};
  let x = 0;
  const put = (opt) => {
    const g = grid(svg, Object.assign({ x, y: top, cell }, opt));
    maps[opt.name] = g.cells;
    boxes[opt.name] = g;
    x += Math.max(g.width, titleWidth(opt.title)) + gap;
    return g;
  };
  const uncovered = (i, j) => (p.covered[i][j] ? "" : "is-uncovered");
  const gKinds = () => "";
  let height = 0;
  if (viewName === "im2row") {
    const rows = ho * wo, kk = k * k;
    const ch = Math.max(9, Math.min(24, Math.floor(520 / rows)));
    const gcol = p.grad_out.flat().map((v) => [v]);
    const g1 = put({ name: "grad_out", values: gcol, cellHeight: ch, title: "G (column)",
                     index: (r) => `${Math.floor(r / wo)},${r % wo}` });
    const g2 = put({ name: "patches", values: p.patches, cellHeight: ch, title: "im2row patches of x" });
    height = Math.max(g1.height, g2.height);
    const wrow = [p.w.flat()];
    const krow = (r, c) => `${Math.floor(c / k)},${c % k}`;
    if (target === "dx") {
      const g3 = put({ name: "kernel", values: wrow, title: "w (row)", index: krow });
      const g4 = put({ name: "dx", values: p.dx, title: "dX", kinds: uncovered });
      height = Math.max(height, g3.height, g4.height);
    } else {
      const g4 = put({ name: "dw", values: [p.dw.flat()], title: "dW (row)", index: krow,
                       kinds: () => "is-pickable" });
      height = Math.max(height, g4.height);
    }
  } else if (target === "dx") {
    if (viewName === "gather") {
      const gk = p.gather_kinds;
      const g1 = put({ name: "gather", values: p.gather, title: "G, zeros inserted, padded",
                       kinds: (i, j) => ["is-pad", "is-inserted", ""][gk[i][j]] });
      const flipped = p.w.map((row, m) => row.map((_, c) => p.w[k - 1 - m][k - 1 - c]));
      const g2 = put({ name: "kernel_flipped", values: flipped, title: "w rotated 180\u00b0" });
      height = Math.max(g1.height, g2.height);
    } else {
      const g1 = put({ name: "grad_out", values: p.grad_out, title: "G = \u2202L/\u2202y",
                       kinds: gKinds });
      const g2 = put({ name: "kernel", values: p.w, title: "w" });
      height = Math.max(g1.height, g2.height);
    }
    height = Math.max(height, put({ name: "dx", values: p.dx, title: "dX", kinds: uncovered }).height);
  } else {
    const pt = p.padding[0][0], pl = p.padding[1][0];
    const s = p.stride;
    const g1 = viewName === "gather"
      ? put({ name: "grad_spread", values: p.grad_spread, title: `G, ${s - 1} zero${s === 2 ? "" : "s"} between entries`,
              kinds: (i, j) => (i % s || j % s ? "is-inserted" : "") })
      : put({ name: "grad_out", values: p.grad_out, title: "G = \u2202L/\u2202y" });
    let g2;
    if (viewName === "gather") {
      g2 = put({ name: "input", values: p.x_padded, title: "padded x",
                 kinds: (i, j) => (i < pt || j < pl || i >= pt + n || j >= pl + n ? "is-pad" : "") });
    } else {
      g2 = put({ name: "input", values: p.x, title: "x", kinds: uncovered });
    }
    const g3 = put({ name: "dw", values: p.dw, title: "dW" });
    height = Math.max(g1.height, g2.height, g3.height);
  }
  svg.setAttribute("width", Math.max(x, 300));
  svg.setAttribute("height", height + top + 8);
  svg.setAttribute("viewBox", `0 0 ${Math.max(x, 300)} ${height + top + 8}`);
  return { maps, boxes, pick: target };
}

const VIEW_TEXT = {
  dx: { scatter: "dX, scatter view: each G entry spreads G\u00b7w over its window",
        gather: "dX, gather view: the 180\u00b0-rotated kernel slides over G with zeros inserted and padding",
        im2row: "dX, im2row view: G (column) times w (row) gives patch gradients, summed back into dX" },
  dw: { scatter: "dW, scatter view: each G entry pairs with the input cell its window puts under w[m,n]",
        gather: "dW, gather view: G with zeros inserted (spread by the stride) slides over the padded input; dW[m,n] is its dot product at offset (m, n)\u00b7dilation",
        im2row: "dW, im2row view: G (column) dotted with one column of the patch matrix" },
};

function renderBackward(model, el) {
  const f = frame(model, el, "backward");
  const lights = new Lights();
  let view = null, pinned = null, active = model.get("selected");
  htmlEl("span", { class: "cl-hint" }, f.tools,
    "hover or click a cell of dX / dW (or Tab to it and use the arrow keys, Enter pins): " +
    "each product lights up with its partner, in one colour and number");

  function light(i, j) {
    const p = model.get("payload"), target = model.get("target"), vn = model.get("view");
    const k = p.kernel_size[0], wo = p.output_shape[1];
    const pt = p.padding[0][0], pl = p.padding[1][0];
    lights.clear();
    const m = view.maps;
    const pairs = target === "dx" ? p.dx_pairs[i][j] : p.dw_pairs[i][j];
    if (vn === "gather" && target === "dx") {
      for (const r of p.gather_rows[i]) for (const c of p.gather_cols[j]) lights.mark(m.gather.get(`${r},${c}`), "is-window");
    }
    if (vn === "gather" && target === "dw") {
      for (const r of p.dw_window_rows[i]) for (const c of p.dw_window_cols[j]) lights.mark(m.input.get(`${r},${c}`), "is-window");
    }
    const terms = [];
    pairs.forEach(([oi, oj, a, b], q) => {
      const colour = PAIR[q % PAIR.length], label = String(q + 1);
      lights.light(m.grad_out && m.grad_out.get(`${oi},${oj}`), colour, label);
      lights.light(m.grad_spread && m.grad_spread.get(`${oi * p.stride},${oj * p.stride}`), colour, label);
      if (target === "dx") {
        if (vn === "gather") {
          const fa = k - 1 - a, fb = k - 1 - b;
          lights.light(m.gather.get(`${p.gather_rows[i][fa]},${p.gather_cols[j][fb]}`), colour, label);
          lights.light(m.kernel_flipped.get(`${fa},${fb}`), colour, label);
        } else {
          lights.light(m.kernel.get(`${a},${b}`), colour, label);
        }
        if (vn === "im2row") lights.light(m.patches.get(`${oi * wo + oj},${a * k + b}`), colour, label);
        terms.push([colour, `G[${oi},${oj}]\u00b7w[${a},${b}]`, `${factor(p.grad_out[oi][oj])}\u00b7${factor(p.w[a][b])}`]);
      } else {
        if (vn === "gather") lights.light(m.input.get(`${a + pt},${b + pl}`), colour, label);
        else if (vn === "scatter") lights.light(m.input.get(`${a},${b}`), colour, label);
        else lights.light(m.patches.get(`${oi * wo + oj},${i * k + j}`), colour, label);
        terms.push([colour, `G[${oi},${oj}]\u00b7x[${a},${b}]`, `${factor(p.grad_out[oi][oj])}\u00b7${factor(p.x[a][b])}`]);
      }
    });
    const tCell = m[target].get(`${i},${j}`);
    lights.light(tCell);
    if (tCell) { tCell.classList.add("is-target"); }
    active = [i, j];
    const name = target === "dx" ? "dX" : "dW", value = p[target][i][j];
    const partner = target === "dx" ? "w" : "x";
    f.announce(terms.length
      ? `${name}[${i}, ${j}] = ${fmt(value)}, the sum of ${terms.length} product` +
        `${terms.length === 1 ? "" : "s"}: ` + pairs.map(([oi, oj, a, b], q) =>
          `${q + 1}: G[${oi}, ${oj}] times ${partner}[${a}, ${b}]`).join("; ")
      : `${name}[${i}, ${j}] = 0: no window reads x[${i}, ${j}], so no product lands here`);
    f.detail.replaceChildren();
    htmlEl("b", {}, f.detail, `${name}[${i},${j}] = `);
    if (!terms.length) {
      htmlEl("span", {}, f.detail, `0: no window reads x[${i},${j}], so no product lands here`);
    } else {
      terms.forEach(([colour, t, v], q) => {
        htmlEl("span", { class: "cl-term", style: `border-color:${colour}` }, f.detail,
               `(${q + 1}) ${t}`);
        if (q < terms.length - 1) htmlEl("span", {}, f.detail, " + ");
      });
      htmlEl("span", {}, f.detail, ` = ${terms.map((t) => t[2]).join(" + ")} = `);
      htmlEl("b", {}, f.detail, `${fmt(value)}  (sum of ${terms.length} product${terms.length === 1 ? "" : "s"})`);
    }
  }

  function targetCell(ev) {
    const c = ev.target.closest(`[data-grid=${model.get("target")}]`);
    if (!c) return null;
    return c.dataset.index.split(",").map(Number);
  }

  function draw() {
    const t0 = performance.now();
    const p = model.get("payload");
    const svg = newSvg(f.stage, 300, 100);
    view = layoutBackward(svg, p, model.get("target"), model.get("view"));
    svg.addEventListener("pointerover", (ev) => {
      const c = targetCell(ev);
      if (c && !pinned) light(c[0], c[1]);
    });
    svg.addEventListener("click", (ev) => {
      const c = targetCell(ev);
      if (!c) return;
      pinned = pinned && pinned[0] === c[0] && pinned[1] === c[1] ? null : c;
      light(c[0], c[1]);
      model.set("selected", c);
      model.save_changes();
    });
    f.setSummary(`${p.summary}<span class="cl-view"> \u00b7 ` +
                 `${VIEW_TEXT[model.get("target")][model.get("view")]}</span>`);
    const lim = model.get("target") === "dx" ? p.input_shape[0] : p.kernel_size[0];
    const tname = model.get("target") === "dx" ? "dX" : "dW";
    keyGrid(view.boxes[model.get("target")], `${tname} grid`, [lim, lim], {
      active: () => [Math.min(active[0], lim - 1), Math.min(active[1], lim - 1)],
      move: (i, j) => light(i, j),
      pick: (i, j) => {
        pinned = pinned && pinned[0] === i && pinned[1] === j ? null : [i, j];
        light(i, j);
        model.set("selected", [i, j]);
        model.save_changes();
      },
      clear: () => { pinned = null; lights.clear(); f.detail.replaceChildren();
                     f.announce("selection cleared"); },
    });
    let [si, sj] = pinned || model.get("selected");
    if (si >= lim || sj >= lim) { si = 0; sj = 0; pinned = null; }
    light(si, sj);
    redrawn(f.root, t0);
  }

  drawControls(model, f.controls, model.get("controls"), (name) => {
    if (name === "target" || name === "view") { pinned = null; draw(); }
  });
  model.on("change:payload", draw);
  draw();
}

// ------------------------------------------------------------------ filter explorer
function ramp(t, signed) {
  // signed: blue (-) -> white (0) -> red (+); unsigned: dark blue -> yellow.
  const mix = (a, b, u) => a.map((v, q) => Math.round(v + (b[q] - v) * u));
  let rgb;
  if (signed) rgb = t < 0.5 ? mix([33, 102, 172], [247, 247, 247], t * 2) : mix([247, 247, 247], [178, 24, 43], t * 2 - 1);
  else rgb = t < 0.5 ? mix([38, 20, 90], [33, 145, 140], t * 2) : mix([33, 145, 140], [253, 231, 37], t * 2 - 1);
  return `rgb(${rgb.join(",")})`;
}

function renderFilter(model, el) {
  const f = frame(model, el, "filter");
  const lights = new Lights();
  const rows = drawControls(model, f.controls, model.get("controls"));
  const applies = () => {
    const gaussian = model.get("filter") === "gaussian";
    rows.sigma.hidden = !gaussian;
    rows.kernel_size.hidden = !gaussian;
  };
  model.on("change:filter", applies);
  applies();

  function draw() {
    const t0 = performance.now();
    const p = model.get("payload");
    f.stage.replaceChildren();
    f.detail.textContent = "";
    const [h, w] = p.image_shape;
    const scale = Math.max(1, 300 / Math.min(h, w));
    const pics = htmlEl("div", { class: "cl-pictures" }, f.stage);
    for (const [name, src, title] of [["image", p.image, "photograph"],
        ["result", p.result, p.result_label]]) {
      const fig = htmlEl("figure", {}, pics);
      const img = htmlEl("img", { src, "data-grid": name, width: Math.round(w * scale),
                                  height: Math.round(h * scale), alt: title }, fig);
      img.style.imageRendering = "pixelated";
      htmlEl("figcaption", {}, fig, title);
    }
    const kbox = htmlEl("figure", { class: "cl-kernels" }, pics);
    const kernelCells = [], active = [];
    p.kernels.forEach((kern, c) => {
      const [kh, kw] = kern.shape, heat = kh > 7;
      const cell = heat ? Math.max(8, Math.floor(220 / kw)) : 30;
      const signed = kern.min < 0;
      const top = Math.max(Math.abs(kern.min), Math.abs(kern.max)) || 1;
      const t = (v) => (signed ? (v / top + 1) / 2 : (kern.max > kern.min ? (v - kern.min) / (kern.max - kern.min) : 1));
      const barW = heat ? 60 : 0;
      const title = `${kern.label} (${kh}\u00d7${kw})`;
      const svg = svgEl("svg", { width: Math.max(kw * cell + barW + 4, titleWidth(title)),
                                 height: kh * cell + 30, class: "cl-svg" }, kbox);
      // colour always (diverging when signed); numbers on top when the kernel is small enough to read
      kernelCells[c] = grid(svg, { name: "kernel", values: kern.values, x: 0, y: 22, cell, title, numbers: !heat,
                  index: (i, j) => `${c},${i},${j}`, format: short, fontSize: 11,
                  heat: (v) => ramp(heat ? t(v) : 0.5 + (t(v) - 0.5) * 0.6, signed) });
      if (heat) {
        const id = `cl-bar-${Math.random().toString(36).slice(2)}`;
        const lg = svgEl("linearGradient", { id, x1: 0, y1: 1, x2: 0, y2: 0 }, svgEl("defs", {}, svg));
        for (let q = 0; q <= 10; q++) svgEl("stop", { offset: q / 10, "stop-color": ramp(q / 10, signed) }, lg);
        const bx = kw * cell + 8;
        svgEl("rect", { x: bx, y: 22, width: 12, height: kh * cell, fill: `url(#${id})`, class: "cl-colourbar" }, svg);
        const lo = signed ? -top : kern.min, hi = signed ? top : kern.max;
        for (const [v, y] of [[hi, 30], [lo, 22 + kh * cell]]) {
          const tx = svgEl("text", { x: bx + 16, y, class: "cl-bar-label" }, svg);
          tx.textContent = fmt(+v.toFixed(4));
        }
      }
    });
    htmlEl("figcaption", {}, kbox, "hover a kernel cell for its value");
    const show = (q, i, j) => {
      lights.clear();
      lights.light(kernelCells[q].cells.get(`${q},${i},${j}`));
      active[q] = [i, j];
      const text = `${p.kernels[q].label}[${i},${j}] = ${fmt(p.kernels[q].values[i][j])}`;
      f.detail.textContent = text;
      f.announce(text.replace(/\[(\d+),(\d+)\]/, "[$1, $2]"));
    };
    kbox.addEventListener("pointerover", (ev) => {
      const c = ev.target.closest("[data-grid=kernel]");
      if (!c) return;
      show(...c.dataset.index.split(",").map(Number));
    });
    kernelCells.forEach((box, q) => {
      const [kh, kw] = p.kernels[q].shape;
      keyGrid(box, `${p.kernels[q].label} kernel`, [kh, kw], {
        active: () => active[q] || [Math.floor(kh / 2), Math.floor(kw / 2)],
        move: (i, j) => show(q, i, j), pick: (i, j) => show(q, i, j),
        clear: () => { lights.clear(); f.detail.textContent = ""; f.announce("selection cleared"); },
      });
    });
    f.setSummary(p.summary);
    redrawn(f.root, t0);
  }
  model.on("change:payload", draw);
  draw();
}

function render({ model, el }) {
  // Every listener goes through `tracked`, so removing the view removes them all.
  const handlers = [];
  const tracked = {
    get: (name) => model.get(name),
    set: (name, value) => model.set(name, value),
    save_changes: () => model.save_changes(),
    on: (event, fn) => { model.on(event, fn); handlers.push([event, fn]); },
  };
  const kind = model.get("kind");
  const draw = { conv: renderConv, backward: renderBackward, filter: renderFilter }[kind];
  const stop = draw(tracked, el);
  return () => {
    if (stop) stop();
    for (const [event, fn] of handlers) model.off(event, fn);
  };
}

export default { render };

// synthkit MapView: the Explorer's map, drawn with plotly.js in the browser.
//
// Hover labels stay in the browser (plotly's own, never synced). A lasso or box
// selection writes the selected row ids and the drawn polygon (data coordinates)
// into this widget's own traits and bumps `selection_count`, in one save.

const PLOTLY_KEY = "__synthkitPlotly";

function ensurePlotly(model) {
  if (window.Plotly && window.Plotly.react) return Promise.resolve(window.Plotly);
  if (!window[PLOTLY_KEY]) {
    window[PLOTLY_KEY] = new Promise((resolve, reject) => {
      const onMsg = (msg, buffers) => {
        if (!msg || msg.type !== "plotly-js") return;
        model.off("msg:custom", onMsg);
        try {
          const src = new TextDecoder().decode(buffers[0]);
          // The bundle is UMD: shadow CommonJS/AMD names so it assigns window.Plotly.
          const url = URL.createObjectURL(new Blob(
            ["(function(define, module, exports){\n", src, "\n}).call(window);"],
            { type: "text/javascript" }));
          const script = document.createElement("script");
          script.src = url;
          script.onload = () => { URL.revokeObjectURL(url); resolve(window.Plotly); };
          script.onerror = (e) => reject(new Error("could not load plotly.js"));
          document.head.appendChild(script);
        } catch (e) { reject(e); }
      };
      model.on("msg:custom", onMsg);
      model.send({ type: "need-plotly" });
    });
    window[PLOTLY_KEY].catch(() => { window[PLOTLY_KEY] = undefined; });
  }
  return window[PLOTLY_KEY];
}

function floats(v) {
  if (!v) return new Float32Array(0);
  if (v instanceof DataView) return new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  if (v instanceof ArrayBuffer) return new Float32Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Float32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  return Float32Array.from(v);
}

function ints(v) {
  if (!v) return new Int32Array(0);
  if (v instanceof DataView) return new Int32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  if (v instanceof ArrayBuffer) return new Int32Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Int32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  return Int32Array.from(v);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]));
}

// A document on hover: escaped, in lines of about `width` characters (words kept whole).
function wrapText(s, width) {
  const lines = [];
  let cur = "";
  for (const word of String(s).split(/\s+/)) {
    if (cur && cur.length + 1 + word.length > width) { lines.push(cur); cur = word; }
    else cur = cur ? cur + " " + word : word;
  }
  if (cur) lines.push(cur);
  return lines.map(escapeHtml).join("<br>");
}

// One hover label per point, built once per data update from compact columns.
function hoverTexts(model, rowIds) {
  const cols = (model.get("hover_columns") || []).map((c) => ({
    name: c.name, kind: c.kind, decimals: c.decimals ?? 3,
    levels: (c.levels || []).map((l) => (c.wrap ? wrapText(l, c.wrap) : escapeHtml(l))),
    data: c.kind === "num" ? floats(c.data) : ints(c.data),
  }));
  const n = rowIds.length, out = new Array(n);
  for (let i = 0; i < n; i++) {
    const lines = ["<b>" + escapeHtml(rowIds[i]) + "</b>"];
    for (const c of cols) {
      let v;
      if (c.kind === "num") {
        const f = c.data[i];
        v = Number.isFinite(f) ? (+f.toFixed(c.decimals)).toString() : "–";
      } else {
        const k = c.data[i];
        v = k >= 0 ? c.levels[k] : "–";  // escaped (and wrapped) once per level above
      }
      lines.push(escapeHtml(c.name) + ": " + v);
    }
    out[i] = lines.join("<br>");
  }
  return out;
}

// The density image of the real rows (large maps): a PNG over `density_extent`, as a data URL.
function pngUrl(v) {
  let bytes;
  if (!v) return null;
  if (v instanceof DataView) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v);
  else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  else return null;
  if (!bytes.length) return null;
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return "data:image/png;base64," + btoa(bin);
}

function render({ model, el }) {
  el.classList.add("synthkit-map");
  const div = document.createElement("div");
  div.className = "synthkit-map-plot";
  const note = document.createElement("div");
  note.className = "synthkit-map-note";
  note.textContent = "loading the map…";
  el.appendChild(note);
  el.appendChild(div);

  // base: the points in a fixed order (re-read only when points_version changes);
  // view: the current colour layers, as positions into `order` (a permutation of base)
  let density = { version: -1, url: null, extent: null, full: null };
  let base = { version: -1, rowIds: [], x: new Float32Array(0), y: new Float32Array(0), text: [], index: new Map() };
  let view = { layers: [], order: new Int32Array(0), inv: new Int32Array(0), value: new Float32Array(0), per: [] };
  let Plotly = null;
  let localChange = false;
  let alive = true;
  // plotly keeps its own lasso outline in layout.selections until selectionrevision
  // changes (it defaults to uirevision, which stays constant to keep zoom and pan);
  // that outline swallows hover inside it. Bumping the revision on every redraw
  // drops the outline while zoom and pan survive; our own dotted polygon replaces it.
  let selectionRevision = 0;
  // Plotly.react itself emits plotly_selected / plotly_deselect while it clears
  // the outline; those are not the user's and must not reach Python.
  let quiet = false;
  // Never redraw while a pointer is down on the plot: a Plotly.react in the middle of
  // a drag cuts the lasso short (a person who lassos again at once lost the second
  // lasso). Redraws asked for meanwhile run when the pointer goes up.
  // Nor start one just as the next drag may begin: after a selection the redraw waits until
  // the pointer has rested SETTLE_MS (a second lasso drawn at once would otherwise start while
  // Plotly.react runs, and plotly took it for a click: "nothing selected").
  const SETTLE_MS = 250;
  let pointerDown = false;
  let deferred = false;
  let settleTimer = null;
  function redrawWhenSettled() {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = setTimeout(() => { settleTimer = null; redraw(); }, SETTLE_MS);
  }
  const onPointerDown = () => {
    pointerDown = true;
    if (settleTimer) { clearTimeout(settleTimer); settleTimer = null; deferred = true; }
  };
  const onPointerUp = () => {
    if (!pointerDown) return;
    pointerDown = false;
    if (deferred) { deferred = false; redrawWhenSettled(); }
  };
  div.addEventListener("pointerdown", onPointerDown, true);
  window.addEventListener("pointerup", onPointerUp, true);

  function readData() {
    const pv = model.get("points_version");
    if (pv !== base.version) {
      const rowIds = model.get("row_ids") || [];
      const index = new Map();
      rowIds.forEach((r, i) => index.set(r, i));
      base = { version: pv, rowIds, index, x: floats(model.get("x")), y: floats(model.get("y")),
               text: hoverTexts(model, rowIds) };
    }
    const order = ints(model.get("order"));
    const inv = new Int32Array(order.length);
    order.forEach((b, k) => { inv[b] = k; });
    const layers = model.get("layers") || [];
    const per = layers.map((L) => {
      const idx = order.subarray(L.start, L.stop);
      return {
        x: Float32Array.from(idx, (i) => base.x[i]), y: Float32Array.from(idx, (i) => base.y[i]),
        text: Array.from(idx, (i) => base.text[i]),
      };
    });
    view = { layers, order, inv, value: floats(model.get("value")), per };
  }

  function readDensity() {
    const dv = model.get("density_version");
    if (dv === density.version) return;
    const ext = model.get("density_extent");
    const full = model.get("density_full");
    density = { version: dv, url: pngUrl(model.get("density_png")), extent: ext && ext.length === 4 ? ext : null,
                full: full && full.length === 4 ? full : null };
  }

  function selectedPerLayer() {
    const sel = model.get("selection") || [];
    if (!sel.length) return view.layers.map(() => null);
    const out = view.layers.map(() => []);
    for (const r of sel) {
      const b = base.index.get(r);
      if (b === undefined) continue;
      const k = view.inv[b];
      view.layers.forEach((L, j) => { if (k >= L.start && k < L.stop) out[j].push(k - L.start); });
    }
    return out;
  }

  function traces() {
    const sel = selectedPerLayer();
    const out = view.layers.map((L, k) => {
      const marker = { size: L.size, opacity: L.opacity, line: { width: 0 } };
      if (L.continuous) {
        Object.assign(marker, {
          color: view.value.subarray(L.start, L.stop), colorscale: L.colorscale,
          cmin: L.cmin, cmax: L.cmax, showscale: !!L.showscale,
          // horizontal, inside the plot's top-right corner: a vertical bar beside the
          // plot would take its width, and the map would narrow when the colouring changes
          colorbar: { title: { text: L.colorbar || "", side: "top" }, orientation: "h", thickness: 10, len: 0.3,
                      x: 0.99, xanchor: "right", y: 0.99, yanchor: "top", bgcolor: "rgba(255,255,255,0.8)" },
        });
      } else {
        marker.color = L.color;
      }
      return {
        type: "scattergl", mode: "markers", name: L.name,
        legendgroup: L.legendgroup, showlegend: L.showlegend && !L.continuous,
        x: view.per[k].x, y: view.per[k].y, text: view.per[k].text,
        hovertemplate: "%{text}<extra>" + escapeHtml(L.name) + "</extra>",
        marker, selectedpoints: sel[k],
        selected: { marker: { opacity: 1 } },
        unselected: { marker: { opacity: 0.12 } },
      };
    });
    if (density.full) {
      // two invisible corner points, last (so lasso curve numbers still index the layers):
      // autoscale and double-click then show every real row, not just the batches
      const [x0, x1, y0, y1] = density.full;
      out.push({ type: "scattergl", mode: "markers", name: "extent", x: [x0, x1], y: [y0, y1],
                 marker: { size: 1, opacity: 0 }, hoverinfo: "skip", showlegend: false });
    }
    return out;
  }

  function layout() {
    const poly = model.get("selection_polygon");
    const shapes = [];
    if (poly && poly.length >= 3) {
      const path = "M" + poly.map((p) => p[0] + "," + p[1]).join("L") + "Z";
      shapes.push({ type: "path", path, line: { color: "#444", width: 1, dash: "dot" },
                    fillcolor: "rgba(0,0,0,0.03)", layer: "above" });
    }
    const current = div.layout || {};
    const images = [], annotations = [];
    if (density.url && density.extent) {
      const [x0, x1, y0, y1] = density.extent;
      images.push({ source: density.url, xref: "x", yref: "y", x: x0, y: y1, sizex: x1 - x0, sizey: y1 - y0,
                    sizing: "stretch", xanchor: "left", yanchor: "top", layer: "below" });
    }
    const dnote = model.get("density_note");
    if (dnote) {
      annotations.push({ text: escapeHtml(dnote), xref: "paper", yref: "paper", x: 0, y: 1, xanchor: "left",
                         yanchor: "bottom", showarrow: false, font: { size: 11, color: "#5b7499" } });
    }
    return {
      images, annotations,
      height: model.get("height"), autosize: true, uirevision: "synthkit-map",
      selectionrevision: "selection-" + (++selectionRevision),
      dragmode: current.dragmode || "lasso", hovermode: "closest", selections: [], shapes,
      title: model.get("title") ? { text: model.get("title"), x: 0.01, xanchor: "left", font: { size: 14 } } : undefined,
      margin: { l: 10, r: 10, t: model.get("title") ? 36 : 28, b: 10 },
      xaxis: { showticklabels: false, showgrid: false, zeroline: false, ticks: "" },
      yaxis: { showticklabels: false, showgrid: false, zeroline: false, ticks: "" },
      legend: { itemsizing: "constant", orientation: "h", x: 0, xanchor: "left", y: -0.01, yanchor: "top",
                bgcolor: "rgba(255,255,255,0)" },
      plot_bgcolor: "#fbfbfc", paper_bgcolor: "white",
      font: { family: "Inter, Helvetica, Arial, sans-serif", size: 12 },
      hoverlabel: { align: "left", font: { size: 11 } },
    };
  }

  const config = { displaylogo: false, responsive: true, scrollZoom: true,
                   modeBarButtonsToRemove: ["autoScale2d", "toggleSpikelines"] };

  let pending = null;
  function redraw() {
    if (pointerDown) { deferred = true; return Promise.resolve(); }
    if (!Plotly || pending) return pending;
    pending = Promise.resolve().then(async () => {
      pending = null;
      if (!alive) return;
      if (pointerDown) { deferred = true; return; }
      quiet = true;
      try {
        await Plotly.react(div, traces(), layout(), config);
      } finally {
        quiet = false;
      }
      el.dataset.version = String(model.get("data_version"));
      el.dataset.densityVersion = String(density.version);
      el.dataset.points = String(base.rowIds.length);
    });
    return pending;
  }

  function sendSelection(ids, poly) {
    localChange = true;
    try {
      model.set("selection", ids);
      model.set("selection_polygon", poly);
      model.set("selection_version", model.get("data_version"));
      model.set("selection_count", (model.get("selection_count") || 0) + 1);
      model.save_changes();
    } finally {
      localChange = false;
    }
    el.dataset.selectionCount = String(model.get("selection_count"));
    el.dataset.selectionSize = String(ids.length);
    el.dataset.selectionVertices = String(poly ? poly.length : 0);
  }

  function onSelected(ev) {
    if (!ev || quiet) return;
    const ids = [];
    for (const p of ev.points || []) {
      const L = view.layers[p.curveNumber];
      if (!L) continue;
      const k = L.start + (p.pointIndex ?? p.pointNumber);
      if (k < L.stop) ids.push(base.rowIds[view.order[k]]);
    }
    let poly = null;
    if (ev.lassoPoints && ev.lassoPoints.x) {
      poly = ev.lassoPoints.x.map((x, i) => [+x, +ev.lassoPoints.y[i]]);
    } else if (ev.range && ev.range.x) {
      const [x0, x1] = ev.range.x, [y0, y1] = ev.range.y;
      poly = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    }
    sendSelection(ids, poly);
    // Replace plotly's editable selection outline (which swallows hover inside it)
    // by our own drawn polygon, so hover keeps working over the selected points.
    redrawWhenSettled();
  }

  // Zoom, pan, autoscale: ask Python for the density of the new extent, once the view has
  // stopped changing for VIEW_DEBOUNCE_MS (a scroll-zoom fires many relayouts).
  const VIEW_DEBOUNCE_MS = 150;
  let viewTimer = null;
  let viewSeq = 0;
  function sendView() {
    viewTimer = null;
    const fl = div._fullLayout;
    if (!alive || !fl || !fl.xaxis || !fl.yaxis) return;
    const [x0, x1] = fl.xaxis.range.map(Number), [y0, y1] = fl.yaxis.range.map(Number);
    model.send({ type: "view", extent: [Math.min(x0, x1), Math.max(x0, x1), Math.min(y0, y1), Math.max(y0, y1)],
                 width: fl._size.w, height: fl._size.h, seq: ++viewSeq });
    el.dataset.viewSent = String(viewSeq);
  }
  function onRelayout(ev) {
    if (quiet || !density.full || !ev) return;
    const keys = Object.keys(ev);
    if (!keys.some((k) => k.startsWith("xaxis.") || k.startsWith("yaxis.") || k === "autosize" || k === "width" || k === "height")) return;
    if (viewTimer) clearTimeout(viewTimer);
    viewTimer = setTimeout(sendView, VIEW_DEBOUNCE_MS);
  }

  const onData = () => { readData(); redraw(); };
  const onDensity = () => { readDensity(); redraw(); };
  const onSelection = () => { if (!localChange) redraw(); };
  const onLayout = () => redraw();
  model.on("change:data_version", onData);
  model.on("change:density_version", onDensity);
  model.on("change:selection", onSelection);
  model.on("change:selection_polygon", onSelection);
  model.on("change:title", onLayout);
  model.on("change:height", onLayout);

  ensurePlotly(model).then(async (P) => {
    if (!alive) return;
    Plotly = P;
    note.remove();
    readData();
    readDensity();
    await redraw();
    div.on("plotly_selected", onSelected);
    div.on("plotly_relayout", onRelayout);
    // the first image was drawn for a default size: ask for one that fits this plot
    if (density.full) sendView();
    div.on("plotly_deselect", () => {
      if (quiet) return;
      sendSelection([], null);
      redrawWhenSettled();
    });
    el.dataset.ready = "1";
    el.dispatchEvent(new CustomEvent("synthkit-map-ready", { bubbles: true }));
  }).catch((e) => { note.textContent = "could not draw the map: " + e; });

  return () => {
    alive = false;
    div.removeEventListener("pointerdown", onPointerDown, true);
    window.removeEventListener("pointerup", onPointerUp, true);
    model.off("change:data_version", onData);
    model.off("change:density_version", onDensity);
    if (viewTimer) clearTimeout(viewTimer);
    if (settleTimer) clearTimeout(settleTimer);
    model.off("change:selection", onSelection);
    model.off("change:selection_polygon", onSelection);
    model.off("change:title", onLayout);
    model.off("change:height", onLayout);
    if (Plotly) Plotly.purge(div);
  };
}

export default { render };

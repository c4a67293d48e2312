// report.html's interactive chart: plain SVG drawn from the JSON payload in #explorer-data.
// No library and nothing fetched: the page must open offline. Every number shown is a
// value of the series CSVs (the payload carries them rounded exactly as the CSVs are).
// Each chart has a title and both axis labels; time is evenly spaced (an empty period is
// an empty slot); period labels are thinned until none overlaps; every framework has its
// colour and a second cue (a hatch on bars, a marker and a dash on lines).
"use strict";
(function () {
  let D = null;
  const NS = "http://www.w3.org/2000/svg";
  const W = 960, H = 470, M = {left: 74, right: 16, top: 40, bottom: 78};
  const $ = (id) => document.getElementById(id);
  const state = {view: 0, venue: "", mode: "share"};

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }
  const pct = (v) => (100 * v).toFixed(1) + "%";
  const count = (v) => Number.isInteger(v) ? v.toLocaleString("en") : v.toFixed(1);
  const style = (code) => D.styles[D.frameworks[code]];

  function setUp() {
    D.views.forEach((v, i) => $("pick-view").add(new Option(v.label, String(i))));
    $("pick-venue").add(new Option(D.scope, ""));
    D.venues.forEach((v) => $("pick-venue").add(new Option(v, v)));
    $("pick-view").onchange = (e) => { state.view = Number(e.target.value); draw(); };
    $("pick-venue").onchange = (e) => { state.venue = e.target.value; draw(); };
    $("pick-mode").onchange = (e) => { state.mode = e.target.value; draw(); };
    draw();
  }

  function rows() {
    const view = D.views[state.view];
    const table = (state.mode === "counts" ? view.all : view.shares)[state.venue] || [];
    return {view, table};
  }

  // Every period from the first to the last one with data: gaps stay as empty slots.
  function periodsOf(view, table) {
    const has = new Set(table.map((r) => r[0]));
    const idx = view.periods.map((p, i) => has.has(p) ? i : -1).filter((i) => i >= 0);
    return idx.length ? view.periods.slice(idx[0], idx[idx.length - 1] + 1) : [];
  }

  const where = () => state.venue || D.scope;
  // the sample's design weights every venue-year table, all venues and each venue's (its cells)
  const weighted = (view) => view.weighted && state.mode !== "counts";

  function draw() {
    const svg = $("chart");
    svg.replaceChildren();
    hideTip();
    $("papers").replaceChildren(Object.assign(document.createElement("p"), {className: "note",
      textContent: "Click a bar, a point or a period to list its papers here."}));
    const {view, table} = rows();
    const periods = periodsOf(view, table);
    $("chart-empty").textContent = periods.length ? "" :
      "Nothing to draw for this choice: no counted paper " + (state.venue ? "at " + state.venue + " " : "") +
      "has a value on the " + view.label + " axis" + (state.mode === "counts" ? "." : " and a DL framework.");
    svg.setAttribute("data-view", view.axis + "/" + view.freq);
    svg.setAttribute("data-venue", state.venue);
    if (!periods.length) { legend([]); return; }
    patterns(svg);
    const band = (W - M.left - M.right) / periods.length;
    const x = (i) => M.left + (i + 0.5) * band;
    const top = state.mode === "counts" ? niceTop(Math.max(...periods.map((p) => total(table, p)))) : 1;
    const y = (v) => H - M.bottom - v / top * (H - M.top - M.bottom);
    labels(svg, view);
    axes(svg, periods, table, x, y, top, band);
    if (state.mode === "lines") {
      lines(svg, periods, table, x, y);
      if (state.venue === "") notes(svg, periods, view.crossovers || [], x, y);
    } else {
      bars(svg, periods, table, x, y, band);
    }
    legend([...new Set(table.map((r) => r[1]))].sort((a, b) => a - b));
  }

  function labels(svg, view) {
    const what = {share: "Framework share of papers using a DL framework",
                  lines: "Framework share with 95% intervals",
                  counts: "Papers counted per framework, incl. none and unclassified"}[state.mode];
    const how = weighted(view) ? " (weighted estimate)" : "";
    const title = el("text", {x: M.left, y: 18, class: "chart-title"}, svg);
    title.textContent = `${what}${how}: ${where()}, by ${view.label}` + (D.include_ports ? ", ports included" : "");
    for (let size = 13; size > 8 && title.getBBox().width > W - M.left - 8; size -= 0.5) {
      title.style.fontSize = size + "px";  // a long selection: smaller, never cut at the edge
    }
    el("text", {x: M.left + (W - M.left - M.right) / 2, y: H - 8, "text-anchor": "middle", class: "axis-label"},
       svg).textContent = view.label;
    const ylabel = state.mode === "counts" ? "papers counted (count)" :
      (weighted(view) ? "share, weighted estimate" : "share of papers counted");
    el("text", {x: 0, y: 0, "text-anchor": "middle", class: "axis-label",
                transform: `translate(16 ${M.top + (H - M.top - M.bottom) / 2}) rotate(-90)`}, svg).textContent = ylabel;
  }

  // The smallest 1, 2 or 5 x 10^k at or above the tallest bar divisible in four, so the ticks are round numbers.
  function niceTop(max) {
    const unit = Math.pow(10, Math.floor(Math.log10(Math.max(max, 1) / 4)));
    const step = Math.max(1, [1, 1.5, 2, 2.5, 5, 10].map((m) => m * unit).find((s) => 4 * s >= max));
    return 4 * step;
  }
  const total = (table, p) => table.filter((r) => r[0] === p).reduce((s, r) => s + r[2], 0);

  // Which periods get a label: the widest label plus a gap must fit in the step; quarters and
  // months step by a divisor or multiple of a year and start on Q1 / January.
  function tickIndexes(svg, periods, band) {
    const probe = el("text", {x: 0, y: -100, class: "period"}, svg);
    probe.textContent = periods.reduce((a, b) => (b.length > a.length ? b : a), "") + "*";
    const width = probe.getBBox().width + 10;
    probe.remove();
    let step = Math.max(1, Math.ceil(width / band));
    const perYear = /Q\d$/.test(periods[0]) ? 4 : /-\d\d$/.test(periods[0]) ? 12 : 0;
    if (perYear && step > 1) {
      step = [2, 3, 4, 6, 8, 12, 24, 36, 48].find((s) => s >= step && (s % perYear === 0 || perYear % s === 0)) || step;
      const first = Math.max(0, periods.findIndex((p) => /(Q1|-01)$/.test(p))) % step;
      return {step, start: first};
    }
    return {step, start: 0};
  }

  function axes(svg, periods, table, x, y, top, band) {
    for (let k = 0; k <= 4; k++) {
      const v = top * k / 4, yy = y(v);
      el("line", {x1: M.left, x2: W - M.right, y1: yy, y2: yy, stroke: "#e5e5e5"}, svg);
      el("text", {x: M.left - 6, y: yy + 4, "text-anchor": "end", class: "tick y-tick"}, svg).textContent =
        state.mode === "counts" ? count(Math.round(v)) : pct(v).replace(".0%", "%");
    }
    const {step, start} = tickIndexes(svg, periods, band);
    periods.forEach((p, i) => {
      const here = table.filter((r) => r[0] === p);
      const thin = here.some((r) => r[7]);
      if (thin && state.mode !== "counts") {
        el("rect", {x: x(i) - band / 2, y: M.top, width: band, height: H - M.top - M.bottom, class: "thin"}, svg);
      }
      el("line", {x1: x(i), x2: x(i), y1: H - M.bottom, y2: H - M.bottom + 4, stroke: "#999"}, svg);
      if ((i - start) % step || i < start) return;
      // low enough that the first label, centred on its bar, clears the 0% tick beside the axis
      const label = el("text", {x: x(i), y: H - M.bottom + 18, "text-anchor": "middle", class: "period",
                                "data-period": p}, svg);
      label.textContent = p + (thin ? "*" : "");
      label.onclick = () => listPapers(p, null);
      if (step === 1 && band >= 40) {
        el("text", {x: x(i), y: H - M.bottom + 32, "text-anchor": "middle", class: "tick n-tick"}, svg).textContent =
          "n=" + (here.length ? count(here[0][3]) : "0");
      }
    });
  }

  function bars(svg, periods, table, x, y, band) {
    periods.forEach((p, i) => {
      let base = 0;
      table.filter((r) => r[0] === p).forEach((r) => {
        const value = state.mode === "counts" ? r[2] : r[4];
        const rect = el("rect", {x: x(i) - band * 0.4, width: band * 0.8, y: y(base + value),
                                 height: Math.max(y(base) - y(base + value), 0.5), fill: `url(#hatch-${r[1]})`,
                                 class: "segment", "data-period": p, "data-framework": D.frameworks[r[1]]}, svg);
        hoverable(rect, r);
        base += value;
      });
    });
  }

  function lines(svg, periods, table, x, y) {
    const used = [...new Set(table.map((r) => r[1]))];
    const withData = new Set(table.map((r) => r[0]));
    used.forEach((f) => {
      const s = style(f);
      // a period with no paper at all breaks the line (a gap), a framework absent from a counted period is 0
      const runs = [[]];
      periods.forEach((p, i) => {
        if (!withData.has(p)) { if (runs[runs.length - 1].length) runs.push([]); return; }
        runs[runs.length - 1].push([i, table.find((r) => r[0] === p && r[1] === f)]);
      });
      runs.filter((run) => run.length).forEach((pts) => {
        const upper = pts.map(([i, r]) => x(i) + "," + y(r ? r[6] : 0));
        const lower = pts.map(([i, r]) => x(i) + "," + y(r ? r[5] : 0)).reverse();
        el("polygon", {points: upper.concat(lower).join(" "), fill: s.colour, opacity: 0.15}, svg);
        el("polyline", {points: pts.map(([i, r]) => x(i) + "," + y(r ? r[4] : 0)).join(" "), fill: "none",
                        stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash || "none",
                        class: "line", "data-framework": D.frameworks[f]}, svg);
      });
      periods.forEach((p, i) => {
        const r = table.find((row) => row[0] === p && row[1] === f);
        if (!r) return;
        const dot = marker(svg, s.marker, x(i), y(r[4]), 5, {fill: r[7] ? "#fff" : s.colour, stroke: s.colour,
                           "stroke-width": 2, class: "point", "data-period": r[0], "data-framework": D.frameworks[f]});
        hoverable(dot, r);
      });
    });
  }

  // A marker shape per framework (matplotlib's codes, as the static charts use): the line chart's second cue.
  function marker(parent, code, cx, cy, r, attrs) {
    const poly = (n, rot, inner) => {
      const pts = [];
      for (let k = 0; k < (inner ? 2 * n : n); k++) {
        const a = rot + Math.PI * 2 * k / (inner ? 2 * n : n), rr = inner && k % 2 ? r * inner : r;
        pts.push((cx + rr * Math.sin(a)).toFixed(1) + "," + (cy - rr * Math.cos(a)).toFixed(1));
      }
      return el("polygon", {points: pts.join(" "), ...attrs}, parent);
    };
    const shapes = {s: () => poly(4, Math.PI / 4), D: () => poly(4, 0), d: () => poly(4, 0), "^": () => poly(3, 0),
                    v: () => poly(3, Math.PI), "<": () => poly(3, -Math.PI / 2), ">": () => poly(3, Math.PI / 2),
                    p: () => poly(5, 0), h: () => poly(6, 0), H: () => poly(6, Math.PI / 6), 8: () => poly(8, 0),
                    "*": () => poly(5, 0, 0.45), P: () => poly(4, Math.PI / 4, 0.5), X: () => poly(4, 0, 0.5)};
    return (shapes[code] || (() => el("circle", {cx, cy, r, ...attrs}, parent)))();
  }

  // One <pattern> per framework: its colour with its hatch (matplotlib's codes: / \ | - + x . o O *).
  function patterns(svg) {
    const defs = el("defs", {}, svg);
    D.frameworks.forEach((name, code) => {
      const s = D.styles[name];
      const p = el("pattern", {id: `hatch-${code}`, width: 8, height: 8, patternUnits: "userSpaceOnUse"}, defs);
      el("rect", {width: 8, height: 8, fill: s.colour}, p);
      const ink = {stroke: s.edge, "stroke-width": 1, fill: "none"};
      const h = s.hatch;
      if (h.includes("/") || h.includes("x")) el("path", {d: "M-2,10 L10,-2 M-2,2 L2,-2 M6,10 L10,6", ...ink}, p);
      if (h.includes("\\") || h.includes("x")) el("path", {d: "M-2,-2 L10,10 M6,-2 L10,2 M-2,6 L2,10", ...ink}, p);
      if (h.includes("|") || h.includes("+")) el("path", {d: "M4,0 L4,8", ...ink}, p);
      if (h.includes("-") || h.includes("+")) el("path", {d: "M0,4 L8,4", ...ink}, p);
      if (h.includes(".") || h.includes("*")) el("circle", {cx: 4, cy: 4, r: 1.1, fill: s.edge}, p);
      if (h.includes("o") || h.includes("O")) el("circle", {cx: 4, cy: 4, r: 2.4, ...ink}, p);
    });
  }

  // One note per period where a framework first passed others, along the top of the plot, each in the
  // highest lane where it overlaps no note placed before it; an arrow points at the leader's share.
  function notes(svg, periods, crossovers, x, y) {
    const placed = [], byPeriod = new Map();
    crossovers.filter((c) => periods.includes(c[0])).forEach(([period, fw, passed, share]) => {
      const at = byPeriod.get(period) || new Map();
      at.set(fw, [...(at.get(fw) || []), passed]);
      at.top = Math.max(at.top || 0, share);
      byPeriod.set(period, at);
    });
    byPeriod.forEach((leaders, period) => {
      const i = periods.indexOf(period);
      const group = el("g", {class: "note-group", "data-period": period}, svg);
      const box = el("rect", {class: "note-box"}, group);
      const text = el("text", {x: x(i), "text-anchor": "middle", class: "note"}, group);
      text.textContent = [...leaders].map(([fw, passed]) => `${fw} passes ${passed.sort().join(" and ")}`)
        .join("; ") + `, ${period}`;
      let bb;
      for (let lane = 0; ; lane++) {
        text.setAttribute("x", x(i));
        text.setAttribute("y", M.top + 12 + 16 * lane);
        bb = text.getBBox();
        const left = Math.max(M.left, Math.min(bb.x, W - M.right - bb.width));
        text.setAttribute("x", left + bb.width / 2);
        bb = text.getBBox();
        if (!placed.some((o) => bb.x < o.x + o.width + 4 && o.x < bb.x + bb.width + 4 && bb.y < o.y + o.height &&
                                o.y < bb.y + bb.height)) break;
      }
      placed.push(bb);
      Object.entries({x: bb.x - 2, y: bb.y - 1, width: bb.width + 4, height: bb.height + 2}).forEach(([k, v]) =>
        box.setAttribute(k, v));
      el("line", {x1: x(i), x2: x(i), y1: bb.y + bb.height + 1, y2: y(leaders.top) - 6, stroke: "#333",
                  "stroke-width": 1}, group);
    });
  }

  function hoverable(node, r) {
    node.addEventListener("mouseenter", (e) => showTip(e, r));
    node.addEventListener("mousemove", (e) => placeTip(e));
    node.addEventListener("mouseleave", hideTip);
    node.addEventListener("click", () => listPapers(r[0], D.frameworks[r[1]]));
  }

  function showTip(e, r) {
    const tip = $("tip"), view = D.views[state.view];
    const base = state.mode === "counts" ? "of any label" : "with a DL framework";
    const population = where() === "All venues" ? "all papers with code" : `all ${where()} papers with code`;
    tip.replaceChildren();
    const line = (text, cls) => { const d = document.createElement("div"); d.textContent = text;
      if (cls) d.className = cls; tip.appendChild(d); };
    line(`${r[0]} · ${D.frameworks[r[1]]} · ${where()}`, "tip-head");
    line(`share: ${pct(r[4])} (95% interval ${pct(r[5])} – ${pct(r[6])})` +
         (weighted(view) ? `, a weighted estimate for ${population}` : ", of the papers counted"), "tip-share");
    line(`papers counted: ${count(r[2])} of n = ${count(r[3])} ${base} (a count` +
         (weighted(view) ? ", not weighted)" : ")"), "tip-count");
    if (r[7]) line(`thin period: fewer than ${D.min_count} papers`, "tip-thin");
    line("click to list these papers", "tip-hint");
    tip.dataset.period = r[0]; tip.dataset.framework = D.frameworks[r[1]];
    tip.style.display = "block";
    placeTip(e);
  }
  function placeTip(e) { const tip = $("tip"); tip.style.left = (e.pageX + 14) + "px"; tip.style.top = (e.pageY + 14) + "px"; }
  function hideTip() { $("tip").style.display = "none"; }

  function legend(codes) {
    const box = $("legend");
    box.replaceChildren();
    codes.forEach((c) => {
      const item = document.createElement("span");
      item.className = "key";
      const swatch = el("svg", {viewBox: "0 0 22 10"});  // fills with the chart's own patterns (#hatch-N)
      const s = style(c);
      if (state.mode === "lines") {
        el("line", {x1: 0, x2: 22, y1: 5, y2: 5, stroke: s.colour, "stroke-width": 2, "stroke-dasharray": s.dash || "none"},
           swatch);
        marker(swatch, s.marker, 11, 5, 3.5, {fill: s.colour, stroke: s.colour});
      } else {
        el("rect", {width: 22, height: 10, fill: `url(#hatch-${c})`, stroke: "#999", "stroke-width": 0.5}, swatch);
      }
      item.append(swatch, D.frameworks[c]);
      box.appendChild(item);
    });
    if (codes.length && state.mode !== "counts") {
      const note = document.createElement("span");
      note.className = "key thin-note";
      note.textContent = `* thin period: fewer than ${D.min_count} papers (grey band)`;
      box.appendChild(note);
    }
  }

  function periodOf(i, view) {
    const P = D.papers;
    if (view.axis === "venue-year") return P.year[i] == null ? null : String(P.year[i]);
    const day = (view.axis === "paper-date" ? P.date : P.created)[i];
    if (!day) return null;
    const year = day.slice(0, 4), month = Number(day.slice(5, 7));
    if (view.freq === "year") return year;
    if (view.freq === "quarter") return year + "Q" + (Math.floor((month - 1) / 3) + 1);
    return day.slice(0, 7);
  }

  function listPapers(period, framework) {
    const P = D.papers, view = D.views[state.view];
    const dl = (lab) => lab !== "none" && lab !== "unclassified";
    const picked = [];
    for (let i = 0; i < P.id.length; i++) {
      const lab = D.frameworks[P.label[i]];
      if (periodOf(i, view) !== period) continue;
      if (state.venue && P.venue_names[P.venue[i]] !== state.venue) continue;
      if (framework ? lab !== framework : (state.mode !== "counts" && !dl(lab))) continue;
      picked.push(i);
    }
    const weight = picked.reduce((s, i) => s + P.weight[i], 0);
    const box = $("papers");
    box.replaceChildren();
    const head = document.createElement("h3");
    head.id = "papers-head";
    head.textContent = `${where()}, ${period}, ${framework || "every label"}: ` +
      `${count(weight)} paper${weight === 1 ? "" : "s"}` + (weight !== picked.length ? ` (${picked.length} rows, ties split)` : "");
    box.appendChild(head);
    const table = document.createElement("table");
    table.innerHTML = "<thead><tr><th>paper</th><th>venue</th><th>repository</th><th>label</th><th>attribution</th>" +
      "<th>weight (share of the paper)</th></tr></thead>";
    const body = document.createElement("tbody");
    picked.sort((a, b) => P.title[a].localeCompare(P.title[b])).forEach((i) => {
      const tr = document.createElement("tr");
      tr.className = "paper";
      const cell = (node) => { const td = document.createElement("td"); td.append(node); tr.appendChild(td); };
      cell(link(P.title[i] || P.id[i], P.id[i]));
      cell(P.venue_names[P.venue[i]]);
      cell(link(P.repo[i], "https://github.com/" + P.repo[i]));
      cell(D.frameworks[P.label[i]]);
      cell(P.attribution[i] < 0 ? "" : P.attribution_names[P.attribution[i]]);
      cell(count(P.weight[i]));
      body.appendChild(tr);
    });
    table.appendChild(body);
    box.appendChild(table);
  }

  function link(text, href) {
    if (!/^https?:\/\//.test(href)) return document.createTextNode(text);
    const a = document.createElement("a");
    a.href = href; a.textContent = text; a.rel = "noopener"; a.target = "_blank";
    return a;
  }

  // The payload is gzip + base64 (a 300,000-link warehouse makes ~20 MB of JSON, ~5x less packed);
  // the browser unpacks it itself (DecompressionStream), so nothing is fetched.
  async function loadData() {
    const node = document.getElementById("explorer-data");
    if (node.dataset.encoding !== "gzip+base64") return JSON.parse(node.textContent);
    const bytes = Uint8Array.from(atob(node.textContent.trim()), (c) => c.charCodeAt(0));
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  loadData().then((data) => {
    D = data;
    setUp();
    document.body.dataset.explorer = "ready";
  }, (error) => {
    $("chart-empty").textContent = "This browser could not unpack the chart data (" + error + ").";
    document.body.dataset.explorer = "failed";
  });
})();

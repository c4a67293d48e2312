// report.html's interactive chart: plain SVG drawn from the JSON payload in #explorer-data.
// No library and nothing fetched: the page must open offline. Every number shown is a
// value of the series CSVs (the payload carries them rounded exactly as the CSVs are).
"use strict";
(function () {
  let D = null;
  const NS = "http://www.w3.org/2000/svg";
  const W = 960, H = 420, M = {left: 56, right: 16, top: 16, bottom: 64};
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

  function setUp() {
    D.views.forEach((v, i) => $("pick-view").add(new Option(v.label, String(i))));
    $("pick-venue").add(new Option("All venues", ""));
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

  function draw() {
    const svg = $("chart");
    svg.replaceChildren();
    hideTip();
    $("papers").replaceChildren(Object.assign(document.createElement("p"), {className: "note",
      textContent: "Click a bar, a point or a period to list its papers here."}));
    const {view, table} = rows();
    const periods = view.periods.filter((p) => table.some((r) => r[0] === p));
    $("chart-empty").textContent = periods.length ? "" :
      "Nothing to draw for this choice: no counted paper " + (state.venue ? "at " + state.venue + " " : "") +
      "has a value on the " + view.label + " axis" + (state.mode === "counts" ? "." : " and a DL framework.");
    svg.setAttribute("data-view", view.axis + "/" + view.freq);
    svg.setAttribute("data-venue", state.venue);
    if (!periods.length) { legend([]); return; }
    const x = (i) => M.left + (i + 0.5) * (W - M.left - M.right) / periods.length;
    const band = (W - M.left - M.right) / periods.length;
    const top = state.mode === "counts" ? niceTop(Math.max(...periods.map((p) => total(table, p)))) : 1;
    const y = (v) => H - M.bottom - v / top * (H - M.top - M.bottom);
    axes(svg, periods, table, x, y, top);
    if (state.mode === "lines") lines(svg, periods, table, x, y); else bars(svg, periods, table, x, y, band);
    legend([...new Set(table.map((r) => r[1]))].sort((a, b) => a - b));
  }

  // The smallest 1, 2 or 5 x 10^k at or above the tallest bar divisible in four, so the ticks are round numbers.
  function niceTop(max) {
    const unit = Math.pow(10, Math.floor(Math.log10(Math.max(max, 1) / 4)));
    const step = Math.max(1, [1, 1.5, 2, 2.5, 5, 10].map((m) => m * unit).find((s) => 4 * s >= max));
    return 4 * step;
  }
  const total = (table, p) => table.filter((r) => r[0] === p).reduce((s, r) => s + r[2], 0);

  function axes(svg, periods, table, x, y, top) {
    for (let k = 0; k <= 4; k++) {
      const v = top * k / 4, yy = y(v);
      el("line", {x1: M.left, x2: W - M.right, y1: yy, y2: yy, stroke: "#e5e5e5"}, svg);
      el("text", {x: M.left - 6, y: yy + 4, "text-anchor": "end", class: "tick"}, svg).textContent =
        state.mode === "counts" ? count(Math.round(v)) : pct(v).replace(".0%", "%");
    }
    const step = Math.ceil(periods.length / 24);
    periods.forEach((p, i) => {
      const thin = table.some((r) => r[0] === p && r[7]);
      if (thin && state.mode !== "counts") {
        el("rect", {x: x(i) - (x(1) - x(0)) / 2, y: M.top, width: x(1) - x(0) || W, height: H - M.top - M.bottom,
                    class: "thin"}, svg);
      }
      if (i % step) return;
      const label = el("text", {x: x(i), y: H - M.bottom + 16, "text-anchor": "middle", class: "period",
                                "data-period": p}, svg);
      label.textContent = p + (thin ? "*" : "");
      if (step === 1 && periods.length <= 16) {
        el("text", {x: x(i), y: H - M.bottom + 30, "text-anchor": "middle", class: "tick"}, svg).textContent =
          "n=" + count(table.find((r) => r[0] === p)[3]);
      }
      label.onclick = () => listPapers(p, null);
    });
  }

  function bars(svg, periods, table, x, y, band) {
    periods.forEach((p, i) => {
      let base = 0;
      table.filter((r) => r[0] === p).forEach((r) => {
        const value = state.mode === "counts" ? r[2] : r[4];
        const rect = el("rect", {x: x(i) - band * 0.4, width: band * 0.8, y: y(base + value),
                                 height: Math.max(y(base) - y(base + value), 0.5), fill: D.colours[D.frameworks[r[1]]],
                                 class: "segment", "data-period": p, "data-framework": D.frameworks[r[1]]}, svg);
        hoverable(rect, r);
        base += value;
      });
    });
  }

  function lines(svg, periods, table, x, y) {
    const used = [...new Set(table.map((r) => r[1]))];
    used.forEach((f) => {
      const pts = periods.map((p, i) => [i, table.find((r) => r[0] === p && r[1] === f)]);
      const colour = D.colours[D.frameworks[f]];
      const upper = pts.map(([i, r]) => x(i) + "," + y(r ? r[6] : 0));
      const lower = pts.map(([i, r]) => x(i) + "," + y(r ? r[5] : 0)).reverse();
      el("polygon", {points: upper.concat(lower).join(" "), fill: colour, opacity: 0.15}, svg);
      el("polyline", {points: pts.map(([i, r]) => x(i) + "," + y(r ? r[4] : 0)).join(" "), fill: "none",
                      stroke: colour, "stroke-width": 2}, svg);
      pts.forEach(([i, r]) => {
        if (!r) return;
        const dot = el("circle", {cx: x(i), cy: y(r[4]), r: 5, fill: r[7] ? "#fff" : colour, stroke: colour,
                                  "stroke-width": 2, class: "point", "data-period": r[0],
                                  "data-framework": D.frameworks[f]}, svg);
        hoverable(dot, r);
      });
    });
  }

  function hoverable(node, r) {
    node.addEventListener("mouseenter", (e) => showTip(e, r));
    node.addEventListener("mousemove", (e) => placeTip(e));
    node.addEventListener("mouseleave", hideTip);
    node.addEventListener("click", () => listPapers(r[0], D.frameworks[r[1]]));
  }

  function showTip(e, r) {
    const tip = $("tip"), of = state.mode === "counts" ? "of all counted papers" : "of papers using a DL framework";
    tip.replaceChildren();
    const line = (text, cls) => { const d = document.createElement("div"); d.textContent = text;
      if (cls) d.className = cls; tip.appendChild(d); };
    line(`${r[0]} · ${D.frameworks[r[1]]}` + (state.venue ? ` · ${state.venue}` : " · all venues"), "tip-head");
    line(`papers: ${count(r[2])} of ${count(r[3])} ${of}`, "tip-count");
    line(`share: ${pct(r[4])} (95% interval ${pct(r[5])} – ${pct(r[6])})`, "tip-share");
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
      const swatch = document.createElement("i");
      swatch.style.background = D.colours[D.frameworks[c]];
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
    head.textContent = `${state.venue || "All venues"}, ${period}, ${framework || "every label"}: ` +
      `${count(weight)} paper${weight === 1 ? "" : "s"}` + (weight !== picked.length ? ` (${picked.length} rows, ties split)` : "");
    box.appendChild(head);
    const table = document.createElement("table");
    table.innerHTML = "<thead><tr><th>paper</th><th>venue</th><th>repository</th><th>label</th><th>attribution</th>" +
      "<th>weight</th></tr></thead>";
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

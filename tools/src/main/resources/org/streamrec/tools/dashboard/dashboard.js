// The streamrec live dashboard page: polls the dashboard's JSON endpoints once a second and draws the charts as
// inline SVG (no chart library: nothing to download, and every drawn series stays in the DOM as a <g data-series>
// with its point count, last and largest value, which the headless-browser test reads).
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const W = 640, H = 230, M = {l: 56, r: 14, t: 28, b: 24};
const REFRESH_MS = 1000;
const COLORS = ["#2f6fdf", "#e07b00", "#2a9d5b", "#b33dc6", "#c9372c", "#5b6475"];
// Event times older than this are a replay of historical data: event time -> visible says nothing about the pipeline.
const LIVE_EVENT_TIME_LIMIT_MS = 10 * 60 * 1000;

let chosenUser = new URLSearchParams(location.search).get("user") || "";
let refreshes = 0;

function svg(name, attrs, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) {
    node.setAttribute(key, value);
  }
  if (parent) {
    parent.appendChild(node);
  }
  return node;
}

function text(content, attrs, parent) {
  const node = svg("text", attrs, parent);
  node.textContent = content;
  return node;
}

function niceCeiling(v) {
  if (!(v > 0)) {
    return 1;
  }
  const magnitude = Math.pow(10, Math.floor(Math.log10(v)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= v) {
      return step * magnitude;
    }
  }
  return 10 * magnitude;
}

function clock(t) {
  return new Date(t).toTimeString().slice(0, 8);
}

function formatNumber(v) {
  if (v == null || !isFinite(v)) {
    return "–";
  }
  if (Math.abs(v) >= 1000) {
    return Math.round(v).toLocaleString("en-US");
  }
  return Math.abs(v) >= 10 || Number.isInteger(v) ? String(Math.round(v * 10) / 10) : v.toFixed(3);
}

/**
 * Draws series = [{id, label, points: [[t, v], ...], step}] into an <svg>; null values are left out.
 * opts: yMin, yMax, integer (integer ticks), markers: [{t, label, version}].
 */
function drawChart(root, series, opts) {
  opts = opts || {};
  while (root.firstChild) {
    root.removeChild(root.firstChild);
  }
  const valid = series.map(s => s.points.filter(p => p[1] != null && isFinite(p[1])));
  const all = valid.flat();
  root.dataset.points = String(all.length);

  let lx = M.l;
  series.forEach((s, i) => {
    svg("rect", {x: lx, y: 6, width: 14, height: 4, fill: COLORS[i % COLORS.length]}, root);
    const label = text(s.label, {x: lx + 18, y: 12}, root);
    lx += 26 + 6.2 * s.label.length;
    label.setAttribute("class", "legend");
  });

  if (all.length === 0) {
    text("waiting for data", {x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty"}, root);
    return;
  }
  let t0 = Math.min(...all.map(p => p[0]));
  const t1 = Math.max(...all.map(p => p[0]));
  if (t1 - t0 < 1000) {
    t0 = t1 - 1000;
  }
  const vmin = Math.min(...all.map(p => p[1]));
  const vmax = Math.max(...all.map(p => p[1]));
  const y0 = opts.yMin != null ? opts.yMin : Math.min(0, vmin);
  let y1 = opts.yMax != null ? opts.yMax : (opts.integer ? Math.max(1, Math.ceil(vmax) + 1) : niceCeiling(vmax * 1.05));
  if (y1 <= y0) {
    y1 = y0 + 1;
  }
  const x = t => M.l + (t - t0) / (t1 - t0) * (W - M.l - M.r);
  const y = v => H - M.b - (v - y0) / (y1 - y0) * (H - M.t - M.b);

  const ticks = [];
  if (opts.integer) {
    const step = Math.max(1, Math.ceil((y1 - y0) / 5));
    for (let v = Math.ceil(y0); v <= y1; v += step) {
      ticks.push(v);
    }
  } else {
    for (let i = 0; i <= 4; i++) {
      ticks.push(y0 + (y1 - y0) * i / 4);
    }
  }
  for (const v of ticks) {
    svg("line", {x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), class: "grid-line"}, root);
    text(formatNumber(v), {x: M.l - 6, y: y(v) + 4, "text-anchor": "end"}, root);
  }
  svg("line", {x1: M.l, x2: M.l, y1: M.t, y2: H - M.b, class: "axis"}, root);
  svg("line", {x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b, class: "axis"}, root);
  text(clock(t0), {x: M.l, y: H - 6, "text-anchor": "start"}, root);
  text(clock((t0 + t1) / 2), {x: (M.l + W - M.r) / 2, y: H - 6, "text-anchor": "middle"}, root);
  text(clock(t1), {x: W - M.r, y: H - 6, "text-anchor": "end"}, root);

  series.forEach((s, i) => {
    const pts = valid[i];
    const color = COLORS[i % COLORS.length];
    const g = svg("g", {"data-series": s.id, class: "series"}, root);
    g.dataset.count = String(pts.length);
    g.dataset.last = pts.length ? String(pts[pts.length - 1][1]) : "";
    g.dataset.max = pts.length ? String(Math.max(...pts.map(p => p[1]))) : "";
    const coords = [];
    pts.forEach((p, j) => {
      if (s.step && j > 0) {
        coords.push(x(p[0]).toFixed(1) + "," + y(pts[j - 1][1]).toFixed(1));
      }
      coords.push(x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
    });
    if (pts.length === 1) {
      svg("circle", {cx: x(pts[0][0]), cy: y(pts[0][1]), r: 3, fill: color}, g);
    }
    svg("polyline", {points: coords.join(" "), stroke: color}, g);
  });

  for (const m of opts.markers || []) {
    const g = svg("g", {class: "marker", "data-version": m.version}, root);
    const mx = x(Math.min(t1, Math.max(t0, m.t)));
    svg("line", {x1: mx, x2: mx, y1: M.t, y2: H - M.b}, g);
    text(m.label, {x: mx + 3, y: M.t + 10}, g);
  }
}

async function getJson(path) {
  const response = await fetch(path, {cache: "no-store"});
  if (!response.ok) {
    throw new Error(path + " answered " + response.status);
  }
  return response.json();
}

function setText(id, value) {
  document.getElementById(id).textContent = value;
}

function series(points, id, label, value, step) {
  return {id, label, step: !!step, points: points.map(p => [p.t, value(p)])};
}

function renderCharts(summary, seriesData, models) {
  const pts = seriesData.points;
  const k = seriesData.k;
  const window = Math.round(summary.accuracyWindowMs / 1000) + " s";

  drawChart(document.getElementById("chart-throughput"), [
    series(pts, "recommendations-read", "recommendations read /s (committed)", p => p.recommendationsPerSec),
    series(pts, "events-in", "events in /s (job counter)", p => p.eventsInPerSec),
  ]);

  const latency = [
    series(pts, "emit-visible-p50", "emit→visible p50", p => p.emitToVisible && p.emitToVisible.p50),
    series(pts, "emit-visible-p95", "p95", p => p.emitToVisible && p.emitToVisible.p95),
    series(pts, "emit-visible-p99", "p99", p => p.emitToVisible && p.emitToVisible.p99),
    series(pts, "operator-p99", "operator processing p99", p => p.operatorProcessing && p.operatorProcessing.p99),
  ];
  const eventTimes = pts.filter(p => p.eventToVisible).map(p => p.eventToVisible.p99);
  const live = eventTimes.length > 0 && Math.max(...eventTimes) < LIVE_EVENT_TIME_LIMIT_MS;
  if (live) {
    latency.push(series(pts, "event-visible-p99", "event time→visible p99", p => p.eventToVisible && p.eventToVisible.p99));
  }
  drawChart(document.getElementById("chart-latency"), latency);
  setText("latency-note", eventTimes.length === 0 ? ""
      : live ? "event time → visible: the whole path from the producer's timestamp to a committed answer."
      : "Event times are historical (a replay): event time → visible is not plotted; emit → visible is the commit wait.");

  document.getElementById("hr-caption").firstChild.textContent = "Online HR@" + k + " and MRR@" + k + " ";
  document.getElementById("hr-caption").lastChild.textContent = "the job's since it started; judged here over the last " + window;
  setText("tile-hr-label", "online HR@" + k + " (job)");
  drawChart(document.getElementById("chart-accuracy"), [
    series(pts, "hit-rate", "HR@" + k + " (job)", p => p.hitRate),
    series(pts, "mrr", "MRR@" + k + " (job)", p => p.mrr),
    series(pts, "output-hit-rate", "HR@" + k + " (topics, " + window + ")", p => p.outputHitRate),
    series(pts, "output-mrr", "MRR@" + k + " (topics, " + window + ")", p => p.outputMrr),
  ], {yMin: 0, yMax: 1});

  drawChart(document.getElementById("chart-version"), [
    series(pts, "version-read", "version in recommendations read", p => p.versionRead, true),
    series(pts, "flink-version-max", "job gauge (newest subtask)", p => p.flinkVersionMax, true),
    series(pts, "flink-version-min", "job gauge (oldest subtask)", p => p.flinkVersionMin, true),
  ], {yMin: 0, integer: true,
    markers: models.announcements.map(a => ({t: a.readTime, version: a.version, label: "v" + a.version + " announced"}))});
}

function renderTiles(summary, seriesData) {
  const pts = seriesData.points;
  const last = pts.length ? pts[pts.length - 1] : null;
  const lastLatency = pts.filter(p => p.emitToVisible).slice(-1)[0];
  setText("tile-read", formatNumber(summary.recommendationsRead));
  setText("tile-rate", last ? formatNumber(last.recommendationsPerSec) + " /s" : "–");
  setText("tile-hr", summary.flink.prequentialPredictions > 0 ? summary.flink.prequentialHitRate.toFixed(4) : "–");
  setText("tile-p99", lastLatency ? formatNumber(lastLatency.emitToVisible.p99) + " ms" : "–");
  setText("tile-version", summary.latestVersionRead != null ? "v" + summary.latestVersionRead : "–");
  setText("tile-dlq", summary.flink.deadLetters != null ? formatNumber(summary.flink.deadLetters) : "–");
  const flink = summary.flink.rest == null ? "Flink REST: off"
      : summary.flink.error ? "Flink: " + summary.flink.error
      : "Flink job " + summary.flink.jobName + " (" + summary.flink.jobId + "), " + summary.flink.subtasks + " subtasks";
  setText("status", "Kafka " + summary.kafka.bootstrapServers + ": " + summary.kafka.reader + " · " + flink);
  setText("footer", "Topics " + summary.kafka.recommendationsTopic + " and " + summary.kafka.modelUpdatesTopic
      + " (read_committed) · " + summary.usersTracked + " users tracked · " + pts.length + " points · updated "
      + clock(summary.now));
}

function renderUsers(users) {
  const list = document.getElementById("recent-users");
  while (list.firstChild) {
    list.removeChild(list.firstChild);
  }
  for (const u of users) {
    const option = document.createElement("option");
    option.value = u.userId;
    option.label = u.recommendations + " recommendations";
    list.appendChild(option);
  }
  if (!chosenUser && users.length > 0) {
    chooseUser(users[0].userId);
  }
}

function chooseUser(user) {
  chosenUser = user;
  document.getElementById("user").value = user;
  const params = new URLSearchParams(location.search);
  params.set("user", user);
  history.replaceState(null, "", "?" + params.toString());
}

async function renderFeed() {
  const body = document.getElementById("feed-rows");
  if (!chosenUser) {
    setText("feed-status", "no user chosen yet");
    return;
  }
  const feed = await getJson("api/feed?user=" + encodeURIComponent(chosenUser));
  while (body.firstChild) {
    body.removeChild(body.firstChild);
  }
  for (const r of feed.rows) {
    const tr = document.createElement("tr");
    tr.className = "feed-row";
    tr.dataset.eventId = r.eventId;
    tr.dataset.modelVersion = String(r.modelVersion);
    tr.dataset.strategy = r.strategy;
    tr.dataset.items = r.items.map(i => i.itemId).join(" ");
    const cells = [new Date(r.readTime).toTimeString().slice(0, 8) + "." + String(r.readTime % 1000).padStart(3, "0"),
      r.eventId, r.sessionId, "v" + r.modelVersion, r.strategy, (r.readTime - r.emitTime) + " ms"];
    cells.forEach((value, i) => {
      const td = document.createElement("td");
      td.textContent = value;
      if (i === 4) {
        td.className = r.strategy;
      }
      tr.appendChild(td);
    });
    const items = document.createElement("td");
    items.className = "items";
    r.items.slice(0, 10).forEach(item => {
      const chip = document.createElement("span");
      chip.textContent = item.itemId + " (" + item.score.toFixed(3) + ")";
      items.appendChild(chip);
    });
    if (r.items.length > 10) {
      items.appendChild(document.createTextNode("+" + (r.items.length - 10) + " more"));
    }
    tr.appendChild(items);
    body.appendChild(tr);
  }
  setText("feed-status", feed.rows.length + " recent recommendation(s) for " + chosenUser + ", newest first");
}

async function refresh() {
  try {
    const [summary, seriesData, models, users] = await Promise.all([
      getJson("api/summary"), getJson("api/series"), getJson("api/models"), getJson("api/users?limit=50")]);
    renderTiles(summary, seriesData);
    renderCharts(summary, seriesData, models);
    renderUsers(users);
    await renderFeed();
    refreshes++;
    document.body.dataset.refreshes = String(refreshes);
    delete document.body.dataset.error;
  } catch (e) {
    document.body.dataset.error = String(e);
    setText("status", "dashboard unreachable: " + e);
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

document.getElementById("user-form").addEventListener("submit", event => {
  event.preventDefault();
  chooseUser(document.getElementById("user").value.trim());
  renderFeed().catch(e => setText("feed-status", String(e)));
});
if (chosenUser) {
  document.getElementById("user").value = chosenUser;
}
refresh();

// The live dashboard: polls /api/metrics/history (the server keeps the last
// ten minutes at one sample a second) and redraws every chart.

import { drawLegend, drawLineChart } from './charts.js';

const POLL_MS = 1500;
// The charts span the samples there are, between a minute and the ten
// minutes the server keeps.
const MIN_SPAN_MS = 60 * 1000;
const MAX_SPAN_MS = 10 * 60 * 1000;

// Reads a store figure by series name from a sample's gauges or rates.
const gauge = (name) => (s) => s.store_gauges[name] ?? null;

// Each chart: what it shows, and its series as functions of a sample (or,
// for `dynamic`, built from the samples themselves).
const CHARTS = [
  {
    id: "requests",
    title: "Requests per second",
    unit: "/s",
    series: [["answered", (s) => s.requests_per_s]],
  },
  {
    id: "errors",
    title: "Error answers per second",
    unit: "/s",
    series: [
      ["4xx", (s) => s.client_errors_per_s],
      ["5xx", (s) => s.server_errors_per_s],
    ],
  },
  {
    id: "latency",
    title: "Latency, all routes",
    unit: "ms",
    series: [
      ["p50", (s) => s.p50_ms ?? null],
      ["p99", (s) => s.p99_ms ?? null],
    ],
  },
  {
    id: "routes",
    title: "p99 latency of the busiest routes",
    unit: "ms",
    dynamic: busiestRoutes,
  },
  {
    id: "hasher",
    title: "Password-hasher saturation",
    unit: "%",
    fixedMax: 1,
    series: [["slots in use", (s) => s.hasher_saturation]],
  },
  {
    id: "writer",
    title: "Embedded writer: queue depth and batch size",
    absent: "No embedded writer: this server does not run on the embedded store.",
    unit: "",
    series: [
      ["queue depth", gauge("minigram_writer_queue_depth")],
      ["last batch size", gauge("minigram_writer_last_batch_size")],
    ],
  },
  {
    id: "pool",
    title: "PostgreSQL pool: connections in use and waiters",
    absent: "No PostgreSQL pool: this server does not run on PostgreSQL.",
    unit: "",
    series: [
      ["in use", (s) => {
        const size = s.store_gauges.minigram_pg_pool_size;
        const available = s.store_gauges.minigram_pg_pool_available;
        return size === undefined || available === undefined ? null : size - available;
      }],
      ["waiting", gauge("minigram_pg_pool_waiting")],
    ],
  },
  {
    id: "lag",
    title: "Replica lag",
    absent: "No replicas behind this server.",
    unit: "s",
    dynamic: (samples) => labelled(samples, "minigram_router_replica_lag_seconds", "replica"),
  },
  {
    id: "cache",
    title: "Cache hit ratio",
    absent: "No cached reads yet (or no cache: --cache none).",
    unit: "%",
    fixedMax: 1,
    series: [
      ["L1 (in-process)", (s) => s.cache_l1_hit_ratio ?? null],
      ["L2 (Redis)", (s) => s.cache_l2_hit_ratio ?? null],
    ],
  },
  {
    id: "ratelimit",
    title: "Rate-limit refusals (429) per second",
    unit: "/s",
    series: [["refused", (s) => s.rate_limited_per_s]],
  },
];

// The five routes with the most requests in the window, each a p99 line.
function busiestRoutes(samples) {
  const counts = new Map();
  for (const s of samples) {
    for (const r of s.routes) {
      const key = `${r.method} ${r.route}`;
      counts.set(key, (counts.get(key) ?? 0) + r.count);
    }
  }
  const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([key]) => key);
  return top.map((key) => ({
    name: key,
    points: samples.map((s) => {
      const r = s.routes.find((route) => `${route.method} ${route.route}` === key);
      return [s.t_ms, r ? r.p99_ms : null];
    }),
  }));
}

// One line per label value of a labelled store gauge (`name{label="v"}`).
function labelled(samples, name, label) {
  const keys = new Set();
  for (const s of samples) {
    for (const key of Object.keys(s.store_gauges)) {
      if (key.startsWith(`${name}{`)) keys.add(key);
    }
  }
  return [...keys].sort().map((key) => ({
    name: `${label} ${key.slice(key.indexOf('"') + 1, key.lastIndexOf('"'))}`,
    points: samples.map((s) => [s.t_ms, s.store_gauges[key] ?? null]),
  }));
}

function buildFigures(container) {
  for (const chart of CHARTS) {
    const figure = document.createElement("figure");
    figure.className = "chart";
    const caption = document.createElement("figcaption");
    caption.id = `chart-${chart.id}-title`;
    caption.textContent = chart.title;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", caption.id);
    svg.id = `chart-${chart.id}`;
    const legend = document.createElement("ul");
    legend.className = "legend";
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = chart.absent ?? "No data yet.";
    empty.hidden = true;
    figure.append(caption, svg, legend, empty);
    container.append(figure);
    chart.nodes = { figure, svg, legend, empty };
  }
}

function render(samples) {
  const to = samples.length ? samples[samples.length - 1].t_ms : Date.now();
  const first = samples.length ? samples[0].t_ms : to;
  const from = to - Math.max(MIN_SPAN_MS, Math.min(MAX_SPAN_MS, to - first));
  for (const chart of CHARTS) {
    const series = chart.dynamic
      ? chart.dynamic(samples)
      : chart.series.map(([name, read]) => ({ name, points: samples.map((s) => [s.t_ms, read(s)]) }));
    const drawn = drawLineChart(chart.nodes.svg, series, { from, to, unit: chart.unit, fixedMax: chart.fixedMax });
    drawLegend(chart.nodes.legend, series, chart.unit);
    chart.nodes.empty.hidden = drawn;
    chart.nodes.figure.classList.toggle("no-data", !drawn);
  }
}

async function describeInstance(target) {
  const response = await fetch("/api/instance");
  if (!response.ok) return;
  const info = await response.json();
  target.textContent =
    `${info.instance} · minigram-server ${info.version} · store ${info.store}` +
    (info.replicas ? ` with ${info.replicas} replicas` : "") +
    ` · cache ${info.cache} · feed ${info.feed}`;
}

async function main() {
  const status = document.getElementById("dashboard-status");
  buildFigures(document.getElementById("charts"));
  describeInstance(document.getElementById("dashboard-instance")).catch(() => {});
  let samples = [];
  const poll = async () => {
    const after = samples.length ? `?after=${samples[samples.length - 1].t_ms}` : "";
    try {
      const response = await fetch(`/api/metrics/history${after}`);
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      const history = await response.json();
      samples = samples.concat(history.samples).slice(-history.capacity);
      render(samples);
      const last = samples[samples.length - 1];
      status.textContent = last
        ? `Updated ${new Date(last.t_ms).toLocaleTimeString()} · ${samples.length} samples, one a second`
        : "Waiting for the first sample…";
    } catch (error) {
      status.textContent = `Cannot reach the server (${error.message}); retrying.`;
    }
  };
  await poll();
  setInterval(poll, POLL_MS);
}

main();

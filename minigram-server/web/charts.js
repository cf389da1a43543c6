// A small SVG line-chart drawer for the dashboard: no library, no CDN.
// Every chart is redrawn from its series on each update (a few hundred
// points each), which is cheap next to a network poll.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 24 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A "nice" upper bound for the y axis: 1, 2 or 5 times a power of ten.
function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}

function formatValue(value, unit) {
  if (unit === "%") return `${(value * 100).toFixed(value < 0.1 ? 1 : 0)}%`;
  const abs = Math.abs(value);
  const text = abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit ? `${text} ${unit}` : text;
}

// Draws `series` ([{name, points: [[t_ms, value|null], ...]}]) into the
// <svg> `svg`, over the time range [from, to] (ms). `unit` labels the y
// axis; "%" means values are ratios in [0, 1].
export function drawLineChart(svg, series, { from, to, unit = "", fixedMax } = {}) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  const values = series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  const max = fixedMax ?? niceMax(Math.max(0, ...values));
  const x = (t) => PAD.left + ((t - from) / Math.max(1, to - from)) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);

  // Grid and y labels: 0, half, max.
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    svg.append(el("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: "grid" }));
    svg.append(el("text", { x: PAD.left - 6, y: y(value) + 4, class: "axis", "text-anchor": "end" }, formatValue(value, unit)));
  }
  // x labels: how long before the newest sample.
  const ago = (ms) => (ms >= 120000 ? `-${Math.round(ms / 60000)} min` : `-${Math.round(ms / 1000)} s`);
  svg.append(el("text", { x: PAD.left, y: HEIGHT - 6, class: "axis" }, ago(to - from)));
  svg.append(el("text", { x: (PAD.left + WIDTH - PAD.right) / 2, y: HEIGHT - 6, class: "axis", "text-anchor": "middle" }, ago((to - from) / 2)));
  svg.append(el("text", { x: WIDTH - PAD.right, y: HEIGHT - 6, class: "axis", "text-anchor": "end" }, "now"));

  series.forEach((s, index) => {
    // Gaps (null values) split the line rather than drawing it to zero.
    let segment = [];
    const flush = () => {
      if (segment.length === 1) {
        // A value between two gaps: a dot, since a one-point line draws nothing.
        const [cx, cy] = segment[0].split(",");
        svg.append(el("circle", { cx, cy, r: 2.5, class: `dot line-${index % 6}` }));
      } else if (segment.length > 1) {
        svg.append(el("polyline", { points: segment.join(" "), class: `line line-${index % 6}` }));
      }
      segment = [];
    };
    for (const [t, value] of s.points) {
      if (value === null || t < from) {
        flush();
        continue;
      }
      segment.push(`${x(t).toFixed(1)},${y(Math.min(value, max)).toFixed(1)}`);
    }
    flush();
  });
  return values.length > 0;
}

// The chart's legend: one entry per series with its latest value.
export function drawLegend(list, series, unit = "") {
  list.replaceChildren();
  series.forEach((s, index) => {
    const last = [...s.points].reverse().find((p) => p[1] !== null);
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch line-${index % 6}`;
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, `${s.name}: ${last ? formatValue(last[1], unit) : "—"}`);
    list.append(item);
  });
}

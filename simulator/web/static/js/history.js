// A trainee's stored calls and the progress chart (average score per call, SVG drawn here).
import { api, el, toast } from "./common.js";

const form = document.getElementById("who"), input = document.getElementById("trainee");
const NS = "http://www.w3.org/2000/svg";
const svg = (tag, attrs) => { const n = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v); return n; };

function draw(rows) {
  const chart = document.getElementById("chart");
  chart.replaceChildren();
  const W = 720, H = 240, L = 40, R = 16, T = 12, B = 28;
  const x = (i) => L + (rows.length <= 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (rows.length - 1));
  const y = (v) => T + ((5 - v) * (H - T - B)) / 4;
  for (let v = 1; v <= 5; v++) {
    chart.append(svg("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e6ebf0" }));
    const t = svg("text", { x: L - 8, y: y(v) + 4, "text-anchor": "end", "font-size": 12, fill: "#5b6b7a" }); t.textContent = v; chart.append(t);
  }
  chart.append(svg("line", { x1: L, x2: W - R, y1: y(4), y2: y(4), stroke: "#1f7a3d", "stroke-dasharray": "6 4" }));
  if (rows.length > 1) chart.append(svg("polyline", { points: rows.map((r, i) => `${x(i)},${y(r.mean)}`).join(" "), fill: "none", stroke: "#1d5c8c", "stroke-width": 2 }));
  rows.forEach((r, i) => {
    const c = svg("circle", { cx: x(i), cy: y(r.mean), r: 6, fill: r.passed ? "#1f7a3d" : "#fff", stroke: r.passed ? "#1f7a3d" : "#b42318", "stroke-width": 2 });
    const tip = svg("title", {}); tip.textContent = `${r.started_at.slice(0, 10)} ${r.scenario}: ${r.mean} (${r.passed ? "passed" : "not passed"})`;
    c.append(tip); chart.append(c);
  });
}

async function show(name) {
  const problem = document.getElementById("problem");
  problem.hidden = true;
  try {
    const rows = await api(`/api/history?trainee=${encodeURIComponent(name)}`);
    document.getElementById("progress").hidden = false;
    draw(rows);
    document.getElementById("report-link").href = `/reports?kind=trainee&name=${encodeURIComponent(name)}`;
    const body = document.getElementById("rows");
    body.replaceChildren(...rows.slice().reverse().map((r) => el("tr", {},
      el("td", {}, el("a", { href: `/sessions/${r.session_id}`, text: r.started_at.slice(0, 16).replace("T", " ") })),
      el("td", { text: r.scenario }), el("td", { text: `${r.source}, ${r.input}` }), el("td", { class: "num", text: r.mean.toFixed(1) }),
      el("td", {}, el("span", { class: `tag ${r.passed ? "ok" : "bad"}`, text: r.passed ? "pass" : "fail" })))));
  } catch (e) { problem.textContent = e.message; problem.hidden = false; }
}

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = input.value.trim();
  if (!name) return;
  localStorage.setItem("vasim.trainee", name);
  history.replaceState(null, "", `/history?trainee=${encodeURIComponent(name)}`);
  show(name);
});
if (!input.value) input.value = localStorage.getItem("vasim.trainee") || "";
if (input.value) show(input.value.trim());
else toast("Type the name you practise under to see your progress.");

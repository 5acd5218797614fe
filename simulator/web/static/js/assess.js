// An assessment in typed calls: the server runs `assessment.run` and this page hands it each reply.
import { api, el, toast } from "./common.js";
import { VoiceLink } from "./voice.js";

const $ = (id) => document.getElementById(id);
const aid = $("setup").dataset.assessment;
const transcript = $("transcript");
let callId = null;
$("trainee").value = localStorage.getItem("vasim.trainee") || "";
$("cohort").value = localStorage.getItem("vasim.cohort") || "";

function show(events) {
  for (const e of events) {
    if (e.speaker === "system") {
      if (e.note === "call") transcript.replaceChildren();
      transcript.append(el("li", { class: "system", text: e.text }));
      if (e.note === "call") $("status").textContent = e.text.split(".")[0];
    } else {
      transcript.append(el("li", { class: e.speaker }, el("span", { class: "who", text: e.speaker === "trainee" ? "You" : "Caller" }),
        el("span", { class: "text", text: e.text || (e.note === "hangs up" ? "(hangs up)" : "(silence)") })));
    }
  }
  transcript.lastElementChild?.scrollIntoView({ block: "nearest" });
}

function done(res) {
  $("call").hidden = true;
  $("done").hidden = false;
  const box = $("result");
  if (!res.finished) { box.replaceChildren(el("p", { text: "You left the assessment. The finished calls are saved; start it again to resume at the next call." })); return; }
  if (res.scores_hidden || !res.result) { box.replaceChildren(el("p", { text: `All ${res.total} calls are saved. Your trainer will go through the results with you.` })); return; }
  const r = res.result;
  box.replaceChildren(el("p", { class: r.passed ? "ok" : "bad", text: r.passed ? "PASSED" : "NOT PASSED" }),
    el("ul", {}, ...(r.checks || []).map((c) => el("li", { class: c.passed ? "ok" : "bad", text: `${c.passed ? "✓" : "✗"} ${c.rule}: ${c.detail}` }))));
}

async function step(action, text = "") {
  try {
    const res = await api(`/api/assessment-calls/${callId}/${action}`, { method: "POST", body: { text } });
    if (res.events) show(res.events);
    if (res.ended) done(res);
  } catch (e) { toast(e.message); }
}

$("start").addEventListener("click", async () => {
  const trainee = $("trainee").value.trim();
  if (!trainee) { toast("Type your name first."); return; }
  localStorage.setItem("vasim.trainee", trainee);
  localStorage.setItem("vasim.cohort", $("cohort").value.trim());
  $("start").disabled = true;
  try {
    const res = await api(`/api/assessments/${aid}/start`, { method: "POST", body: { trainee, cohort: $("cohort").value.trim() || null, restart: $("restart").checked } });
    callId = res.call_id;
    $("setup").hidden = true; $("call").hidden = false;
    show(res.events);
    if (res.ended) done(res);
    $("say").focus();
  } catch (e) { toast(e.message); $("start").disabled = false; }
});
$("typed").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("say").value;
  $("say").value = "";
  await step("say", text);
  $("say").focus();
});
$("say").addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("typed").requestSubmit(); } });
let link = null;
$("hangup").addEventListener("click", () => (link ? link.hangUp() : step("hangup")));
$("leave").addEventListener("click", () => (link ? link.send({ type: "leave" }) : step("leave")));

function warn(text) { $("warning").textContent = text; $("warning").hidden = !text; }

$("start-voice").addEventListener("click", async () => {
  const trainee = $("trainee").value.trim();
  if (!trainee) { toast("Type your name first."); return; }
  localStorage.setItem("vasim.trainee", trainee);
  localStorage.setItem("vasim.cohort", $("cohort").value.trim());
  let finished = false;
  link = new VoiceLink("/ws/assess", { type: "start", assessment: aid, trainee, cohort: $("cohort").value.trim() || null,
    restart: $("restart").checked, barge_in: $("barge").checked }, {
    message(msg) {
      if (msg.type === "status") $("status").textContent = msg.text;
      else if (msg.type === "call") {
        transcript.replaceChildren(el("li", { class: "system", text: `Call ${msg.position} of ${msg.total}: ${msg.title}. ${msg.summary}` }));
        $("status").textContent = `Call ${msg.position} of ${msg.total}`;
      } else if (msg.type === "ready") $("status").textContent = msg.va_speaks_first ? "The phone is ringing: answer the call" : "Connected: the caller speaks first";
      else if (msg.type === "turn") show([{ speaker: msg.speaker, text: msg.text, note: msg.note }]);
      else if (msg.type === "saved") transcript.append(el("li", { class: "system", text: `Call ${msg.position} saved.` }));
      else if (msg.type === "ended") { finished = true; done(msg); }
      else if (msg.type === "error") { finished = true; warn(msg.message); $("call").hidden = true; }
    },
    warn,
    closed(wasEnded) { if (!wasEnded && !finished) { warn("The connection to the server was lost. The calls already finished are saved; start again to resume."); $("call").hidden = true; } },
  });
  const problem = await link.open();
  if (problem) { warn(problem); link = null; return; }
  $("setup").hidden = true; $("call").hidden = false; $("typed").hidden = true;
  $("hangup").textContent = "Hang up this call";
});

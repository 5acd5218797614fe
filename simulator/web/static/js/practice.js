// A practice call in the page: typed (POST a turn, get the reply) or by voice (microphone ->
// AudioWorklet -> 16 kHz PCM over a WebSocket; the caller's voice comes back the same way).
import { api, el, toast } from "./common.js";
import { VoiceLink } from "./voice.js";

const $ = (id) => document.getElementById(id);
const setup = $("setup"), callBox = $("call"), doneBox = $("done");
const scenario = setup.dataset.scenario;
const transcript = $("transcript"), statusEl = $("status"), warning = $("warning");

for (const id of ["trainee", "cohort"]) {
  $(id).value = localStorage.getItem(`vasim.${id}`) || "";
  $(id).addEventListener("change", () => localStorage.setItem(`vasim.${id}`, $(id).value.trim()));
}
$("barge").checked = localStorage.getItem("vasim.barge") === "1";
$("barge").addEventListener("change", () => localStorage.setItem("vasim.barge", $("barge").checked ? "1" : "0"));

const who = () => ({ trainee: $("trainee").value.trim() || null, cohort: $("cohort").value.trim() || null });
const setStatus = (text) => { statusEl.textContent = text; };
function warn(text) { warning.textContent = text; warning.hidden = !text; }

function addTurn(speaker, text, note = "") {
  const name = speaker === "trainee" ? "You" : speaker === "patient" ? "Caller" : "";
  const li = el("li", { class: speaker }, el("span", { class: "who", text: name }), el("span", { class: "text", text: text || (note === "hangs up" ? "(hangs up)" : "(silence)") }));
  if (note && text) li.append(el("span", { class: "small", text: ` (${note})` }));
  transcript.append(li);
  li.scrollIntoView({ block: "nearest" });
}

function showCall(mode) {
  setup.hidden = true; callBox.hidden = false; doneBox.hidden = true;
  $("typed").hidden = mode !== "text";
  $("mute").hidden = $("level").hidden = mode !== "voice";
}

function finished(final) {
  callBox.querySelectorAll("button, textarea").forEach((b) => { b.disabled = true; });
  doneBox.hidden = false;
  const title = $("done-title"), text = $("done-text"), link = $("done-link");
  if (final.said_nothing) {
    title.textContent = "Call ended: nothing to score";
    text.textContent = "You did not say anything, so there is no scorecard.";
  } else {
    title.textContent = final.passed ? "Call ended: PASS" : "Call ended: FAIL";
    title.className = final.passed ? "ok" : "bad";
    text.textContent = (final.stored ? "Saved for your trainer's reports. " : "") + "Your scorecard has the five scores, what went well and what to work on.";
  }
  if (final.url) { link.href = final.url; link.hidden = false; } else link.hidden = true;
  setStatus("Call ended");
  doneBox.scrollIntoView({ block: "nearest" });
}

// ------------------------------------------------------------------ typed
let callId = null;
function showEvents(events) { for (const e of events) addTurn(e.speaker, e.text, e.note); }

$("start-text").addEventListener("click", async () => {
  $("start-text").disabled = true;
  try {
    const res = await api("/api/calls", { method: "POST", body: { scenario, ...who() } });
    callId = res.call_id;
    showCall("text");
    setStatus(res.events.length ? "Your turn: type your reply" : "The phone rings: answer the call");
    showEvents(res.events);
    if (res.ended) finished(res);
    $("say").focus();
  } catch (e) { toast(e.message); $("start-text").disabled = false; }
});

$("typed").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!callId) return;
  const box = $("say"), text = box.value;
  box.disabled = true;
  try {
    const res = await api(`/api/calls/${callId}/say`, { method: "POST", body: { text } });
    box.value = "";
    showEvents(res.events);
    if (res.ended) finished(res);
    else setStatus("Your turn");
  } catch (e) { toast(e.message); } finally { box.disabled = false; box.focus(); }
});
$("say").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("typed").requestSubmit(); }
});

// ------------------------------------------------------------------ voice
let link = null, ended = false, muted = false;

function lost(text) {
  warn(text);
  setStatus("Disconnected");
  doneBox.hidden = false;
  $("done-title").textContent = "The call stopped";
  $("done-text").textContent = "Every finished turn is saved and scored: see Your calls.";
  $("done-link").href = "/sessions";
  $("done-link").textContent = "Your calls";
}

$("start-voice").addEventListener("click", async () => {
  link = new VoiceLink("/ws/voice", { type: "start", scenario, barge_in: $("barge").checked, ...who() }, {
    message(msg) {
      if (msg.type === "status") setStatus(msg.text);
      else if (msg.type === "ready") setStatus(msg.va_speaks_first ? "The phone is ringing: answer the call" : "Connected");
      else if (msg.type === "turn") addTurn(msg.speaker, msg.text, msg.note);
      else if (msg.type === "ended") { ended = true; finished(msg); }
      else if (msg.type === "error") { ended = true; link.stopMic(); lost(msg.message); }
    },
    warn: (text) => warn(text),
    closed(wasEnded) { if (!wasEnded && !ended) lost("The connection to the server was lost. The call so far is saved: see Your calls."); },
    level(peak) { $("level-bar").style.width = `${Math.min(100, Math.round(peak * 300))}%`; },
  });
  const problem = await link.open();
  if (problem) { warn(problem); toast(problem, 10000); link = null; return; }
  warn("");
  showCall("voice");
  setStatus("Connecting...");
});

$("mute").addEventListener("click", () => {
  muted = !muted;
  if (link) link.setMuted(muted);
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("mute").setAttribute("aria-pressed", String(muted));
  setStatus(muted ? "Muted: the caller hears silence" : "Unmuted");
});
$("hangup").addEventListener("click", async () => {
  if (link) { link.hangUp(); setStatus("Ending the call and scoring it..."); return; }
  if (callId) {
    try { finished(await api(`/api/calls/${callId}/hangup`, { method: "POST", body: {} })); } catch (e) { toast(e.message); }
  }
});
window.addEventListener("beforeunload", () => { if (link && !ended) link.hangUp(); });

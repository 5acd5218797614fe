// A practice call in the page: typed (POST a turn, get the reply) or by voice (microphone ->
// AudioWorklet -> 16 kHz PCM over a WebSocket; the caller's voice comes back the same way).
import { api, csrf, el, toast } from "./common.js";

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
let ws = null, capture = null, playback = null, playing = null, stream = null, node = null, ended = false, muted = false;
let sentS = 0, loudest = 0, silentWarned = false;

function micMessage(err) {
  const name = err && err.name;
  if (name === "NotAllowedError" || name === "SecurityError")
    return "The microphone is blocked for this page. Allow it (the icon at the left of the address bar), then start the call again; or type instead.";
  if (name === "NotFoundError" || name === "OverconstrainedError")
    return "No microphone was found. Plug one in (or a headset) and start again; or type instead.";
  if (name === "NotReadableError" || name === "AbortError")
    return "The microphone is in use by another program or could not be opened. Close the other program and start again.";
  return `The microphone could not be started (${name || err}).`;
}

async function precheck() {
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia)
    return "The browser allows the microphone only on http://127.0.0.1 or http://localhost (or https). Open the address vasim serve printed, or type instead.";
  try {
    const p = await navigator.permissions.query({ name: "microphone" });
    if (p.state === "denied") return micMessage({ name: "NotAllowedError" });
  } catch (e) { /* not every browser can tell */ }
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (!devices.some((d) => d.kind === "audioinput")) return micMessage({ name: "NotFoundError" });
  } catch (e) { /* ask anyway */ }
  return null;
}

function play(buf) {
  const view = new DataView(buf);
  const rate = view.getUint32(0, true);
  const pcm = new Int16Array(buf, 4);
  const audio = playback.createBuffer(1, pcm.length, rate);
  const ch = audio.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) ch[i] = pcm[i] / 32768;
  stopPlayback();
  const src = playback.createBufferSource();
  src.buffer = audio;
  src.connect(playback.destination);
  src.start();
  playing = src;
}
function stopPlayback() { if (playing) { try { playing.stop(); } catch (e) { /* already stopped */ } playing = null; } }

async function startMic() {
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (err) {
    warn(micMessage(err));
    hangUp();
    return;
  }
  const track = stream.getAudioTracks()[0];
  track.addEventListener("ended", () => { warn("The microphone was disconnected. The call so far is saved."); hangUp(); });
  await capture.audioWorklet.addModule("/static/js/worklet.js");
  const src = capture.createMediaStreamSource(stream);
  node = new AudioWorkletNode(capture, "vasim-capture");
  const sinkGain = capture.createGain();
  sinkGain.gain.value = 0;
  src.connect(node).connect(sinkGain).connect(capture.destination);
  node.port.onmessage = ({ data }) => {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(data.pcm);
    sentS += 0.02;
    loudest = Math.max(loudest, muted ? 1 : data.peak);
    $("level-bar").style.width = `${Math.min(100, Math.round(data.peak * 300))}%`;
    if (!silentWarned && sentS > 6 && loudest < 0.003) {
      silentWarned = true;
      warn("We can't hear anything from your microphone. Check that it is not muted (in the system settings or on the headset) and that the right one is chosen in the browser.");
    } else if (silentWarned && loudest >= 0.003 && warning.textContent.startsWith("We can't hear")) warn("");
  };
  await capture.resume();
}

function hangUp() {
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(JSON.stringify({ type: "hangup" }));
    setStatus("Ending the call and scoring it...");
  }
  stopMic();
}
function stopMic() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  if (node) node.port.onmessage = null;
}

$("start-voice").addEventListener("click", async () => {
  // the audio contexts are made in the click, so the browser lets them play
  capture = new AudioContext({ sampleRate: 16000 });
  playback = new AudioContext();
  const problem = await precheck();
  if (problem) { warn(problem); showCall("voice"); setup.hidden = false; callBox.hidden = true; toast(problem, 10000); return; }
  warn("");
  showCall("voice");
  setStatus("Connecting...");
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  ws = new WebSocket(`${proto}//${location.host}/ws/voice?csrf=${encodeURIComponent(csrf)}`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify({ type: "start", scenario, barge_in: $("barge").checked, ...who() }));
  ws.onmessage = (ev) => {
    if (typeof ev.data !== "string") { play(ev.data); return; }
    const msg = JSON.parse(ev.data);
    if (msg.type === "status") setStatus(msg.text);
    else if (msg.type === "ready") { setStatus(msg.va_speaks_first ? "The phone is ringing: answer the call" : "Connected"); startMic(); }
    else if (msg.type === "turn") addTurn(msg.speaker, msg.text, msg.note);
    else if (msg.type === "stop") stopPlayback();
    else if (msg.type === "ended") { ended = true; stopMic(); finished(msg); ws.close(); }
    else if (msg.type === "error") {
      warn(msg.message);
      ended = true;
      stopMic();
      doneBox.hidden = false;
      $("done-title").textContent = "The call stopped";
      $("done-text").textContent = "Every finished turn is saved: see Your calls.";
      $("done-link").href = "/sessions";
      $("done-link").textContent = "Your calls";
    }
  };
  ws.onclose = () => {
    stopMic();
    if (!ended) {
      warn("The connection to the server was lost. The call so far is saved: see Your calls.");
      setStatus("Disconnected");
      doneBox.hidden = false;
      $("done-title").textContent = "Connection lost";
      $("done-text").textContent = "Every finished turn is saved and scored in Your calls.";
      $("done-link").href = "/sessions";
    }
  };
});

$("mute").addEventListener("click", () => {
  muted = !muted;
  if (node) node.port.postMessage({ muted });
  $("mute").textContent = muted ? "Unmute" : "Mute";
  $("mute").setAttribute("aria-pressed", String(muted));
  setStatus(muted ? "Muted: the caller hears silence" : "Unmuted");
});
$("hangup").addEventListener("click", async () => {
  if (ws) { hangUp(); return; }
  if (callId) {
    try { finished(await api(`/api/calls/${callId}/hangup`, { method: "POST", body: {} })); } catch (e) { toast(e.message); }
  }
});
window.addEventListener("beforeunload", () => { if (ws && !ended) hangUp(); });

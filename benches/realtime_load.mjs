// The load of benches/realtime.sh in one Node process (its event loop, no
// dependencies): SUBSCRIBERS raw-socket SSE clients of
// `GET /api/_realtime?subscribe=tick` and a writer POSTing RATE rows a
// second for DURATION seconds, paced on a fixed schedule (a late tick sends
// every write that is due; writes do not wait for each other's answers).
// Each row carries its send time in microseconds (`sent_us`, the same clock
// as the readers'); SAMPLED subscribers parse every event and record
// now - sent_us; the others only count the bytes they receive (one missing
// events has fewer than a sampled one that got them all). Prints JSON.
//
//   node benches/realtime_load.mjs PORT SUBSCRIBERS RATE DURATION SAMPLED
import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";

const [port, subscribers, rate, duration, sampled] = process.argv.slice(2).map(Number);
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const latencies = [];
const counts = new Array(subscribers).fill(0);
const bytes = new Array(subscribers).fill(0);
let closes = 0;
let ended = 0;


function subscribe(index) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setNoDelay(true);
    let head = null;
    let text = "";
    socket.on("connect", () => {
      socket.write(
        "GET /api/_realtime?subscribe=tick HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
      );
    });
    socket.on("error", reject);
    socket.on("close", () => {
      ended += 1;
    });
    socket.on("data", (chunk) => {
      if (head === null) {
        const end = chunk.indexOf("\r\n\r\n");
        const status = chunk.subarray(0, chunk.indexOf("\r\n")).toString();
        if (!status.includes(" 200 ")) {
          reject(new Error(`subscriber ${index}: ${status}`));
          return;
        }
        head = status;
        resolve();
        chunk = chunk.subarray(end + 2);
      }
      if (index < sampled) {
        bytes[index] += chunk.length;
        const received = nowUs();
        text += chunk.toString();
        let newline;
        while ((newline = text.indexOf("\n")) >= 0) {
          const line = text.slice(0, newline);
          text = text.slice(newline + 1);
          if (line.startsWith("event: close")) {
            closes += 1;
          }
          const found = line.startsWith("data:") ? line.indexOf('"sent_us":') : -1;
          if (found >= 0) {
            const sent = parseInt(line.slice(found + 10), 10);
            latencies.push((received - sent) / 1000);
            counts[index] += 1;
          }
        }
        return;
      }
      // Unsampled: bytes only (cheap), compared with the sampled ones'.
      bytes[index] += chunk.length;
    });
  });
}

function pct(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
const writeLatencies = [];
const lateness = [];
let failed = 0;

function write() {
  return new Promise((resolve) => {
    const sent = nowUs();
    const body = JSON.stringify({ sent_us: sent, note: "x".repeat(64) });
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/tick",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on("end", () => {
          if (response.statusCode !== 201 && response.statusCode !== 200) failed += 1;
          writeLatencies.push((nowUs() - sent) / 1000);
          resolve();
        });
      },
    );
    request.on("error", () => {
      failed += 1;
      resolve();
    });
    request.end(body);
  });
}

async function writer() {
  const total = rate * duration;
  const interval = 1000 / rate;
  const start = performance.now();
  const pending = [];
  let n = 0;
  while (n < total) {
    const now = performance.now();
    while (n < total && start + n * interval <= now) {
      lateness.push(now - (start + n * interval));
      pending.push(write());
      n += 1;
    }
    if (n < total) {
      const wait = start + n * interval - performance.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
  }
  const took = (performance.now() - start) / 1000;
  await Promise.all(pending);
  return took;
}

const connectStart = performance.now();
const chunkSize = 100;
for (let i = 0; i < subscribers; i += chunkSize) {
  const batch = [];
  for (let j = i; j < Math.min(subscribers, i + chunkSize); j += 1) batch.push(subscribe(j));
  await Promise.all(batch);
}
const connectSeconds = (performance.now() - connectStart) / 1000;
process.stdout.write(JSON.stringify({ phase: "connected", seconds: connectSeconds }) + "\n");
// Let the server settle, and the shell read its memory.
await new Promise((resolve) => setTimeout(resolve, 1000));
const cpuBefore = process.cpuUsage();
const took = await writer();
await new Promise((resolve) => setTimeout(resolve, 2000));
const cpu = process.cpuUsage(cpuBefore);
const writes = rate * duration;
const sampledCount = Math.min(sampled, subscribers);
const complete = bytes.slice(0, sampledCount).filter((_, i) => counts[i] >= writes);
const full = complete.length > 0 ? Math.min(...complete) : Infinity;
// An unsampled subscriber with fewer bytes than a complete sampled one
// missed events.
const short = counts.slice(0, sampledCount).filter((c) => c < writes).length +
  bytes.slice(sampledCount).filter((b) => b < full * 0.99).length;
const everyone = counts.reduce((a, b) => a + b, 0);
process.stdout.write(
  JSON.stringify({
    phase: "done",
    subscribers,
    sampled: Math.min(sampled, subscribers),
    writes,
    failed,
    write_seconds: took,
    write_rate: writes / took,
    schedule_late_p99_ms: pct(lateness, 99),
    post_p50_ms: pct(writeLatencies, 50),
    post_p99_ms: pct(writeLatencies, 99),
    events: everyone,
    events_expected: writes * sampledCount,
    short_subscribers: short,
    megabytes: bytes.reduce((a, b) => a + b, 0) / 1e6,
    closes,
    ended,
    p50_ms: pct(latencies, 50),
    p90_ms: pct(latencies, 90),
    p99_ms: pct(latencies, 99),
    max_ms: latencies.length ? Math.max(...latencies) : NaN,
    generator_cpu_s: (cpu.user + cpu.system) / 1e6,
  }) + "\n",
);
process.exit(0);

"""Timing helpers of the serve benchmark (benches/serve.sh). Prints figures,
asserts nothing.

    measure.py wait URL SECONDS
        wait until URL answers 200 (exit 1 when it does not in time)
    measure.py oha RESULTS LABEL SCENARIO FILE...
        reduce oha JSON outputs (one per run) to the median req/s and p99,
        appended as one line to RESULTS
    measure.py wrk RESULTS LABEL SCENARIO FILE...
        the same from wrk --latency outputs
    measure.py wrk-script KIND PATH BODY_FILE LOW HIGH
        the wrk Lua script of a scenario (get, random, post), on stdout
    measure.py table RESULTS
        print RESULTS as a table: one row per scenario, one column pair per server
    measure.py hot-reload BASE MANIFEST RUNS
        add a field to the `item` entity of MANIFEST (saved in place, as an
        editor does), then time until GET BASE/api/item/1 answers with it;
        RUNS times, one new field each
    measure.py startup WORKDIR BASE LIST_PATH RUNS COMMAND...
        start COMMAND in WORKDIR RUNS times; time the first 200 from
        BASE/api/_health and then from BASE + LIST_PATH; stop it with SIGTERM
"""

import http.client
import json
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse


def get(url, timeout=5.0):
    """(status, body) of GET url; (None, None) when nothing answers."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + ("?" + parts.query if parts.query else "")
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    except OSError:
        return None, None
    finally:
        connection.close()


def wait(url, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, _ = get(url)
        if status == 200:
            return True
        time.sleep(0.05)
    return False


def oha(results, label, scenario, files):
    rates, p99s, statuses, errors = [], [], {}, {}
    for path in files:
        with open(path) as file:
            run = json.load(file)
        rates.append(run["summary"]["requestsPerSec"])
        p99 = (run.get("latencyPercentiles") or {}).get("p99")
        p99s.append(p99 * 1000 if p99 is not None else float("nan"))
        for code, count in (run.get("statusCodeDistribution") or {}).items():
            statuses[code] = statuses.get(code, 0) + count
        for error, count in (run.get("errorDistribution") or {}).items():
            errors[error] = errors.get(error, 0) + count
    record(results, label, scenario, rates, p99s, statuses, errors)


WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(results, label, scenario, files):
    rates, p99s, statuses, errors = [], [], {"2xx": 0}, {}
    for path in files:
        with open(path) as file:
            text = file.read()
        rate = re.search(r"Requests/sec:\s+([0-9.]+)", text)
        rates.append(float(rate.group(1)) if rate else 0.0)
        p99 = re.search(r"^\s+99%\s+([0-9.]+)(us|ms|s|m)\s*$", text, re.M)
        p99s.append(float(p99.group(1)) * WRK_UNITS[p99.group(2)] if p99 else float("nan"))
        total = re.search(r"(\d+) requests in", text)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        bad_count = int(bad.group(1)) if bad else 0
        if bad_count:
            statuses["non-2xx"] = statuses.get("non-2xx", 0) + bad_count
        statuses["2xx"] += (int(total.group(1)) if total else 0) - bad_count
        socket_errors = re.search(r"Socket errors: (.*)", text)
        if socket_errors:
            errors[socket_errors.group(1)] = errors.get(socket_errors.group(1), 0) + 1
    record(results, label, scenario, rates, p99s, statuses, errors)


def wrk_script(kind, path, body_file, low, high):
    if kind == "get":
        print(f"wrk.path = {json.dumps(path)}")
    elif kind == "random":
        print(f"local prefix = {json.dumps(path)}")
        print(f"request = function() return wrk.format(nil, prefix .. math.random({low}, {high})) end")
    elif kind == "post":
        with open(body_file) as file:
            body = file.read()
        print('wrk.method = "POST"')
        print(f"wrk.path = {json.dumps(path)}")
        print(f"wrk.body = {json.dumps(body)}")
        print('wrk.headers["Content-Type"] = "application/json"')


def record(results, label, scenario, rates, p99s, statuses, errors):
    line = {
        "server": label,
        "scenario": scenario,
        "rps": statistics.median(rates),
        "p99_ms": statistics.median(p99s),
        "runs": [round(r) for r in rates],
        "statuses": statuses,
        "errors": errors,
    }
    with open(results, "a") as out:
        out.write(json.dumps(line) + "\n")
    unexpected = {code: n for code, n in statuses.items() if not code.startswith("2")}
    note = f" (non-2xx: {unexpected})" if unexpected else ""
    if errors:
        note += f" (errors: {errors})"
    print(f"  {label:<14} {scenario:<28} {line['rps']:>10.0f} req/s  p99 {line['p99_ms']:8.2f} ms"
          f"  runs {line['runs']}{note}", file=sys.stderr)


def table(results):
    lines = []
    with open(results) as file:
        for text in file:
            if text.strip():
                lines.append(json.loads(text))
    servers = list(dict.fromkeys(line["server"] for line in lines))
    scenarios = list(dict.fromkeys(line["scenario"] for line in lines))
    cell = {(line["server"], line["scenario"]): line for line in lines}
    header = f"{'scenario':<28}" + "".join(f" | {server + ' req/s':>22} {'p99 ms':>9}" for server in servers)
    print(header)
    print("-" * len(header))
    for scenario in scenarios:
        text = f"{scenario:<28}"
        for server in servers:
            line = cell.get((server, scenario))
            if line is None:
                text += f" | {'-':>22} {'-':>9}"
            else:
                flag = "" if all(c.startswith("2") for c in line["statuses"]) and line["statuses"] else "*"
                text += f" | {line['rps']:>21.0f}{flag or ' '} {line['p99_ms']:>9.2f}"
        print(text)
    if "json-server" in servers:
        for server in servers:
            if server == "json-server":
                continue
            ratios = []
            for scenario in scenarios:
                ours, theirs = cell.get((server, scenario)), cell.get(("json-server", scenario))
                if ours and theirs and theirs["rps"] > 0:
                    ratios.append(f"{scenario}: {ours['rps'] / theirs['rps']:.1f}x")
            if ratios:
                print(f"{server} / json-server req/s: " + ", ".join(ratios))
    # The authenticated list (a verified JWT and a row rule) against the
    # same list on the open API: the floor is 85% of its throughput.
    for scenario in scenarios:
        ours, theirs = cell.get(("baas-auth", scenario)), cell.get(("baas-sqlite", scenario))
        if ours and theirs and theirs["rps"] > 0:
            share = ours["rps"] / theirs["rps"]
            verdict = "meets" if share >= 0.85 else "BELOW"
            print(f"baas-auth / baas-sqlite req/s, {scenario}: {share:.0%} (floor 85%: {verdict})")
    if any(not all(c.startswith("2") for c in line["statuses"]) or not line["statuses"] for line in lines):
        print("* some answers were not 2xx (see the log above)")


def hot_reload(base, manifest, runs):
    with open(manifest) as file:
        original = file.read()
    lines = original.split("\n")
    start = lines.index("[entities.item.fields]") + 1
    end = start
    while end < len(lines) and lines[end].strip() and not lines[end].startswith("["):
        end += 1
    url = f"{base}/api/item/1"
    parts = urllib.parse.urlsplit(url)
    times = []
    added = []
    for run in range(1, runs + 1):
        name = f"bench_extra_{run}"
        added.append(f'{name} = {{ type = "int32", nullable = true }}')
        text = "\n".join(lines[:end] + added + lines[end:])
        started = time.perf_counter()
        with open(manifest, "w") as file:
            file.write(text)
        found = False
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        while time.perf_counter() - started < 10:
            try:
                connection.request("GET", parts.path)
                response = connection.getresponse()
                body = response.read()
            except OSError:
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
                continue
            if response.status == 200 and name in json.loads(body):
                found = True
                break
        connection.close()
        elapsed = (time.perf_counter() - started) * 1000
        if found:
            times.append(elapsed)
            print(f"  reload {run}: {elapsed:.0f} ms", file=sys.stderr)
        else:
            print(f"  reload {run}: the new field did not appear within 10 s", file=sys.stderr)
        time.sleep(1.0)
    with open(manifest, "w") as file:
        file.write(original)
    if times:
        print(f"hot reload (save baas.toml with a new field -> first answer with it): "
              f"median {statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms "
              f"({len(times)}/{runs} runs)")
    else:
        print(f"hot reload: the new field never appeared ({runs} runs)")


def startup(workdir, base, list_path, runs, command):
    health_times, list_times = [], []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL,
                                   stderr=open(f"{workdir}/startup.log", "w"))
        health = first_list = None
        while time.perf_counter() - started < 120 and process.poll() is None:
            if health is None:
                status, _ = get(base + "/api/_health", timeout=60)
                if status == 200:
                    health = time.perf_counter() - started
                else:
                    time.sleep(0.002)
                    continue
            status, _ = get(base + list_path, timeout=60)
            if status == 200:
                first_list = time.perf_counter() - started
                break
            time.sleep(0.002)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if health is None or first_list is None:
            with open(f"{workdir}/startup.log") as log:
                tail = log.read()[-2000:]
            print(f"  start {run}: no answer (health {health}, list {first_list}); log:\n{tail}", file=sys.stderr)
            continue
        health_times.append(health * 1000)
        list_times.append(first_list * 1000)
        print(f"  start {run}: /api/_health {health * 1000:.0f} ms, first list {first_list * 1000:.0f} ms",
              file=sys.stderr)
    if health_times:
        print(f"start-up (process start -> first 200): /api/_health median {statistics.median(health_times):.0f} ms "
              f"(min {min(health_times):.0f}, max {max(health_times):.0f}); "
              f"first list {list_path} median {statistics.median(list_times):.0f} ms "
              f"(min {min(list_times):.0f}, max {max(list_times):.0f}); {len(health_times)}/{runs} runs")
    else:
        print(f"start-up: the server never answered ({runs} runs)")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "wait":
        sys.exit(0 if wait(args[0], float(args[1])) else 1)
    elif command == "oha":
        oha(args[0], args[1], args[2], args[3:])
    elif command == "wrk":
        wrk(args[0], args[1], args[2], args[3:])
    elif command == "wrk-script":
        wrk_script(args[0], args[1], args[2], int(args[3]), int(args[4]))
    elif command == "table":
        table(args[0])
    elif command == "hot-reload":
        hot_reload(args[0], args[1], int(args[2]))
    elif command == "startup":
        startup(args[0], args[1], args[2], int(args[3]), args[4:])
    else:
        sys.exit(f"measure.py: unknown command {command}")


if __name__ == "__main__":
    main()

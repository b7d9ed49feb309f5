"""The seven-step case lifecycle executed by SpiffWorkflow, persisted per step.

Run by `yiwang bench lifecycle --spiff` in a venv with SpiffWorkflow from PyPI. Each case is a
workflow instance of lifecycle.bpmn. Every step is handled the way a web service built on
SpiffWorkflow handles a request: load the instance's serialized state from the database,
complete the user task with its data, run the engine steps (the gateway), serialize the state and
write it back with an event row, in one transaction committed with synchronous=FULL (WAL), like
ours. One worker process per core; the processes share the database, as a service's do.

Prints one JSON line: the SpiffWorkflow version, lifecycles, seconds, step latencies, CPU time.
"""

import argparse
import json
import multiprocessing
import os
import sqlite3
import time
from importlib.metadata import version

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.util.task import TaskState

# The steps after the report, with what each one records (the same as yiwang's lifecycle).
STEPS = [
    ("file", "op-1", {"note": "信息属实，予以立案"}),
    ("dispatch", "disp-1", {"lead": "dc-cgw", "assisting": []}),
    ("accept", "h-dc-cgw-1", {}),
    ("report_back", "h-dc-cgw-1", {"note": "已处置完毕"}),
    ("verify", "gm-110101001001001", {"passed": True, "note": "现场核查已解决"}),
    ("close", "chief-1", {"fixed": True, "note": "核查通过，予以结案"}),
    ("evaluate", "r00001", {"satisfaction": "satisfied", "fixed": True, "responded": True}),
]


def connect(path):
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    return db


def create(path):
    db = connect(path)
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS workflows (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS events (
            case_id INTEGER NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,
            actor TEXT NOT NULL, step TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (case_id, seq)
        );
        """
    )
    db.close()


def save(db, case_id, seq, actor, step, data, state, new):
    db.execute("BEGIN IMMEDIATE")
    if new:
        db.execute("INSERT INTO workflows (id, state) VALUES (?, ?)", (case_id, state))
    else:
        db.execute("UPDATE workflows SET state = ? WHERE id = ?", (state, case_id))
    db.execute(
        "INSERT INTO events (case_id, seq, at, actor, step, data) VALUES (?, ?, ?, ?, ?, ?)",
        (case_id, seq, time.time(), actor, step, json.dumps(data, ensure_ascii=False)),
    )
    db.execute("COMMIT")


def worker(args):
    bpmn, path, ids = args
    parser = BpmnParser()
    parser.add_bpmn_file(bpmn)
    spec = parser.get_spec("lifecycle")
    serializer = BpmnWorkflowSerializer()
    db = connect(path)
    latencies = []
    for case_id in ids:
        # The report: a new instance, run to its first user task, stored.
        t = time.perf_counter()
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        report = {"subclass": "0101", "description": "道路破损，影响居民出行", "reporter": "r00001"}
        save(db, case_id, 1, "r00001", "report", report, serializer.serialize_json(wf), True)
        latencies.append(time.perf_counter() - t)
        for seq, (step, actor, data) in enumerate(STEPS, start=2):
            t = time.perf_counter()
            (state,) = db.execute("SELECT state FROM workflows WHERE id = ?", (case_id,)).fetchone()
            wf = serializer.deserialize_json(state)
            task = wf.get_next_task(state=TaskState.READY, manual=True)
            if task is None or task.task_spec.bpmn_id != step:
                raise SystemExit(f"case {case_id}: expected {step}, found {task and task.task_spec.bpmn_id}")
            task.data.update(data)
            task.run()
            wf.do_engine_steps()
            save(db, case_id, seq, actor, step, data, serializer.serialize_json(wf), False)
            latencies.append(time.perf_counter() - t)
        if not wf.is_completed():
            raise SystemExit(f"case {case_id} did not complete")
    db.close()
    return latencies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpmn", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--cases", type=int, required=True)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    a = ap.parse_args()
    create(a.db)
    workers = max(1, min(a.workers, a.cases))
    shares = [(a.bpmn, a.db, range(w + 1, a.cases + 1, workers)) for w in range(workers)]
    cpu = os.times()
    started = time.perf_counter()
    with multiprocessing.Pool(workers) as pool:
        latencies = sorted(x for part in pool.map(worker, shares) for x in part)
    seconds = time.perf_counter() - started
    after = os.times()
    cpu_seconds = sum(after[i] - cpu[i] for i in range(4))  # user, system, children's user and system
    db = sqlite3.connect(a.db)
    (events,) = db.execute("SELECT count(*) FROM events").fetchone()
    (done,) = db.execute("SELECT count(DISTINCT case_id) FROM events WHERE step = 'evaluate'").fetchone()
    db.close()
    pick = lambda q: latencies[round((len(latencies) - 1) * q)] * 1e3
    print(
        json.dumps(
            {
                "version": version("SpiffWorkflow"),
                "lifecycles": done,
                "events": events,
                "workers": workers,
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "p50_step_ms": pick(0.5),
                "p99_step_ms": pick(0.99),
            }
        )
    )


if __name__ == "__main__":
    main()

"""A small client of KataGo's analysis engine, written from docs/Analysis_Engine.md alone (to be compared with it line by line): start the engine, send queries, collect answers by id.

What the document promises and this client relies on:
- one JSON object per line both ways; answers may come in any order and carry the query's ``id``;
- every analysed turn ends with exactly one answer whose ``isDuringSearch`` is false;
- errors are ``{"error"}`` (no usable id) or ``{"id", "field", "error"}``; warnings ``{"id", "field", "warning"}``;
- action queries (query_version, clear_cache, terminate) are answered by echoing the query (plus version fields);
- closing stdin makes the engine finish the queued queries and exit.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time


class AnalysisClient:
    def __init__(self, command: list[str]):
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        self._answers: queue.Queue[dict | None] = queue.Queue()
        self.received: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._answers.put(json.loads(line))  # a line that is not JSON fails the reader loudly
        self._answers.put(None)  # the engine closed its output: waiting longer would only time out

    def send(self, query: dict) -> None:
        self.process.stdin.write(json.dumps(query) + "\n")
        self.process.stdin.flush()

    def next_answer(self, timeout: float = 120.0) -> dict:
        answer = self._answers.get(timeout=timeout)
        if answer is None:
            self._answers.put(None)  # every later wait ends at once too
            status = self.process.wait()
            raise RuntimeError(f"the engine exited ({status}): {self.process.stderr.read().strip()[-300:]}")
        self.received.append(answer)
        return answer

    def analyse(self, query: dict, timeout: float = 120.0) -> dict[int, dict]:
        """Send an analysis query and wait for the final answer of each of its turns: {turnNumber: answer}."""
        self.send(query)
        turns = query.get("analyzeTurns", [len(query["moves"])])
        finals: dict[int, dict] = {}
        end = time.time() + timeout
        while len(finals) < len(turns):
            answer = self.next_answer(max(0.1, end - time.time()))
            if answer.get("id") != query["id"]:
                continue
            if "error" in answer:
                raise RuntimeError(f"engine refused query {query['id']}: {answer}")
            if "warning" in answer or answer.get("isDuringSearch"):
                continue
            finals[answer["turnNumber"]] = answer
        return finals

    def drain(self, timeout: float = 60.0) -> None:
        """Receive every answer the engine wrote before it closed its output (after ``close``)."""
        while (answer := self._answers.get(timeout=timeout)) is not None:
            self.received.append(answer)
        self._answers.put(None)

    def close(self, timeout: float = 60.0) -> int:
        """Close stdin (the engine finishes its queue and exits) and return its exit status."""
        self.process.stdin.close()
        return self.process.wait(timeout)

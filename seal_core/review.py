"""Reviewer verdicts on preference pairs: stored durably in SQLite, exported and imported, applied to the data.

Every verdict is appended (history is kept); a reviewer's current verdict on a pair is their latest one. SQLite in
WAL mode with ``synchronous=FULL``: once :meth:`ReviewStore.record` returns, the verdict survives a crash of the app,
of the machine's process, or a ``kill -9``; a write interrupted before it commits leaves no trace. Several app
sessions and processes can write at once (SQLite serialises writers; each waits up to 60 s).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.options import choose
from seal_core.storage import SQLiteStore, atomic_write

Verdict = Literal["keep", "flip", "ambiguous", "drop"]
VERDICTS: tuple[str, ...] = ("keep", "flip", "ambiguous", "drop")
COLUMNS = ["id", "dataset", "pair_id", "reviewer", "verdict", "note", "created_at"]


class ReviewStore(SQLiteStore):
    """Examples
    --------
    >>> import tempfile
    >>> store = ReviewStore(tempfile.mkdtemp() + "/reviews.sqlite")
    >>> _ = store.record("hh", "p1", "ana", "flip", note="the rejected answer is safer")
    >>> _ = store.record("hh", "p1", "ana", "keep")
    >>> store.current("hh")[["pair_id", "reviewer", "verdict"]].to_dict("records")
    [{'pair_id': 'p1', 'reviewer': 'ana', 'verdict': 'keep'}]
    >>> len(store.history("hh"))
    2
    """

    what = "review store"
    default_name = "reviews.sqlite"
    synchronous = "FULL"  # a confirmed verdict is on disk, power loss included
    schema = (
        "CREATE TABLE IF NOT EXISTS verdicts (id INTEGER PRIMARY KEY AUTOINCREMENT, dataset TEXT NOT NULL, "
        "pair_id TEXT NOT NULL, reviewer TEXT NOT NULL, verdict TEXT NOT NULL CHECK (verdict IN "
        "('keep','flip','ambiguous','drop')), note TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS verdicts_pair ON verdicts (dataset, pair_id, reviewer, id)",
    )

    def record(self, dataset: str, pair_id: str, reviewer: str, verdict: str, *, note: str = "",
               created_at: str | None = None) -> int:  # fmt: skip
        """Append one verdict in its own transaction; returns its id once it is committed."""
        choose("verdict", verdict, dict.fromkeys(VERDICTS))
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise SealInputError("a verdict needs a reviewer name")
        if not str(pair_id).strip() or not str(dataset).strip():
            raise SealInputError("a verdict needs a dataset and a pair id")
        when = created_at or datetime.now(UTC).isoformat(timespec="microseconds")
        con = self._conn()
        with con:
            cur = con.execute(
                "INSERT INTO verdicts (dataset, pair_id, reviewer, verdict, note, created_at) VALUES (?,?,?,?,?,?)",
                (dataset, str(pair_id), reviewer, verdict, note or "", when),
            )
        return int(cur.lastrowid)

    def history(self, dataset: str | None = None) -> pd.DataFrame:
        q, args = "SELECT * FROM verdicts", ()
        if dataset is not None:
            q, args = q + " WHERE dataset = ?", (dataset,)
        return pd.read_sql_query(q + " ORDER BY id", self._conn(), params=args)[COLUMNS]

    def current(self, dataset: str | None = None) -> pd.DataFrame:
        """Each reviewer's latest verdict per pair."""
        h = self.history(dataset)
        return h.sort_values("id").groupby(["dataset", "pair_id", "reviewer"], as_index=False).last()[COLUMNS]

    # ---- export / import ----------------------------------------------------------------------------------

    def export(self, path: str | os.PathLike, dataset: str | None = None) -> Path:
        """The full history as JSONL or CSV (written atomically)."""
        path = Path(path)
        h = self.history(dataset).drop(columns=["id"])
        if path.suffix.lower() == ".jsonl":
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in h.to_dict("records"))
            return atomic_write(path, lambda tmp: tmp.write_text(text))
        if path.suffix.lower() == ".csv":
            return atomic_write(path, lambda tmp: h.to_csv(tmp, index=False))
        raise SealInputError(f"export verdicts to .jsonl or .csv, not {path.name!r}")

    def import_(self, path: str | os.PathLike) -> int:
        """Add the verdicts of an export that are not here yet (same dataset, pair, reviewer, verdict, note and
        time); returns how many were added. Importing the same file twice adds nothing."""
        path = Path(path)
        from seal_core.safe_io import read_input
        from seal_core.table_io import read_table

        if path.suffix.lower() == ".jsonl":
            try:
                text = read_input(path).decode("utf-8")
            except UnicodeDecodeError as e:
                raise SealInputError(f"{path.name}: bytes are not valid UTF-8 (byte offset {e.start})") from None
            rows = []
            for n, line in enumerate(text.splitlines(), start=1):
                try:
                    rows.append(json.loads(line)) if line.strip() else None
                except json.JSONDecodeError:
                    raise SealInputError(f"{path.name} line {n}: invalid JSON") from None
            df = pd.DataFrame(rows)
        else:
            df = read_table(path, what="verdicts file", dtype=str, keep_default_na=False)
        need = {"dataset", "pair_id", "reviewer", "verdict", "created_at"}
        if need - set(df.columns):
            raise SealInputError(f"{path.name} lacks column(s) {sorted(need - set(df.columns))}")
        df = df.assign(note=df.get("note", "")).fillna("")
        have = set(map(tuple, self.history()[["dataset", "pair_id", "reviewer", "verdict", "note", "created_at"]]
                       .astype(str).to_numpy()))  # fmt: skip
        added = 0
        for r in df.to_dict("records"):
            key = tuple(str(r[k]) for k in ("dataset", "pair_id", "reviewer", "verdict", "note", "created_at"))
            if key in have:
                continue
            self.record(r["dataset"], r["pair_id"], r["reviewer"], r["verdict"], note=r["note"],
                        created_at=str(r["created_at"]))  # fmt: skip
            have.add(key)
            added += 1
        return added


def reviewer_agreement(current: pd.DataFrame) -> pd.DataFrame:
    """Cohen's κ and raw agreement for every pair of reviewers on the pairs both judged."""
    from sklearn.metrics import cohen_kappa_score

    wide = current.pivot_table(index=["dataset", "pair_id"], columns="reviewer", values="verdict", aggfunc="last")
    names = list(wide.columns)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = wide[[a, b]].dropna()
            if both.empty:
                continue
            same = float((both[a] == both[b]).mean())
            labels = sorted(set(both[a]) | set(both[b]))
            kappa = float(cohen_kappa_score(both[a], both[b], labels=labels)) if len(labels) > 1 else float("nan")
            rows.append({"reviewer_a": a, "reviewer_b": b, "n_pairs": len(both), "agreement": same, "kappa": kappa})
    return pd.DataFrame(rows, columns=["reviewer_a", "reviewer_b", "n_pairs", "agreement", "kappa"])


def cleaned_pairs(pairs: pd.DataFrame, current: pd.DataFrame, *, reviewer: str | None = None) -> pd.DataFrame:
    """Apply verdicts: ``flip`` swaps chosen and rejected, ``drop`` removes the pair; ``keep`` and ``ambiguous``
    leave it. With several reviewers, the latest verdict across them wins unless ``reviewer`` picks one."""
    cur = current if reviewer is None else current[current["reviewer"] == reviewer]
    latest = cur.sort_values("id").groupby("pair_id")["verdict"].last()
    verdict = pairs["pair_id"].map(latest)
    out = pairs[verdict != "drop"].copy()
    flip = out["pair_id"].map(latest) == "flip"
    for a, b in (("chosen", "rejected"), ("prompt_chosen", "prompt_rejected"), ("chosen_full", "rejected_full")):
        out.loc[flip, [a, b]] = out.loc[flip, [b, a]].to_numpy()
    return out.reset_index(drop=True)


def export_pairs(pairs: pd.DataFrame, path: str | os.PathLike, *, input_format: str = "hh-rlhf") -> Path:
    """Write pairs back in their input format as JSONL: hh-rlhf (``chosen``/``rejected`` transcripts) or TRL
    (``prompt``/``chosen``/``rejected`` strings), with ``pair_id``."""
    path = Path(path)
    if input_format == "trl":
        recs = [{"pair_id": r.pair_id, "prompt": r.prompt_chosen, "chosen": r.chosen, "rejected": r.rejected}
                for r in pairs.itertuples()]  # fmt: skip
    else:
        recs = [
            {"pair_id": r.pair_id, "chosen": r.chosen_full, "rejected": r.rejected_full} for r in pairs.itertuples()
        ]
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    return atomic_write(path, lambda tmp: tmp.write_text(text))

"""A plan's pool of mapping processes makes each schedule's proof once: the proofs a worker makes
go back with its batch's inventory and on to the workers of the batches that follow."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import base_state, export_rows, write_config

from migrate.config import load_settings
from migrate.engine import inventory
from migrate.engine.inventory import ProofRelay, plan_job


def test_a_pool_proves_each_schedule_once_when_it_comes_again_batches_later(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve batches of 40 flows, batch i and batch i + 6 on the same schedule (one of six): the
    pool's two workers prove six schedules, not twelve (batch i's inventory is merged before
    batch i + 6 is handed out, so its proofs go with it, whichever worker takes it)."""
    batch, schedules = 40, 6
    monkeypatch.setattr(inventory, "BATCH_ROWS", batch)
    rows = export_rows(batch * 2 * schedules)
    for number, row in enumerate(rows):
        row["schedule"] = f"0 {number // batch % schedules * 5} 3 * * ? *"
    config = write_config(tmp_path, state=base_state(flows=0), rows=rows)
    # The workers are forked from this process: a proof an earlier test made here (one of these
    # schedules) would be theirs already, and made by neither.
    from migrate.schedule import proof

    proof.prove.cache_clear()
    proof._given.clear()
    result = plan_job(load_settings(config), workers=2, keep="actions")
    assert result.valid == len(rows) and not result.invalid
    assert result.proofs_made == schedules


def test_the_relay_carries_each_proof_with_the_next_batches_only() -> None:
    relay = ProofRelay(laps=2)
    part = inventory.Partial(proofs=[(("a",), "proof a"), (("b",), "proof b")])  # type: ignore[list-item]
    relay.learn(part)
    assert [key for key, _ in relay.next_batch()] == [("a",), ("b",)]
    relay.learn(inventory.Partial(proofs=[(("c",), "proof c")]))  # type: ignore[list-item]
    assert [key for key, _ in relay.next_batch()] == [("a",), ("b",), ("c",)]
    assert [key for key, _ in relay.next_batch()] == [("c",)]
    assert relay.next_batch() == () and relay.made == 3

"""Benchmark: the feed functions at herd-simulation scale.

Run with ``python bench/feed.py [--animals N] [--replicates R] [--repeats K]``.

* Requirements: :func:`capra.feed.energy_requirement`, :func:`capra.feed.dry_matter_intake`
  and :func:`capra.feed.crude_protein_requirement` on ``N`` animals at once (one simulated
  day of a large herd batch: a mix of kids, growing and mature goats, does in milk and
  pregnant does). Reported as animal-days per second, to set beside the herd simulator's
  goal of 20 M animal-days per second per core (issue 10); the ratio says what share of that
  budget one requirement call takes.
* Budget: :func:`capra.feed.feed_budget` for ``R`` replicates x 5 farms x 5 years of daily
  requirements (nampo-sized), with pasture, a store and feed-as-needed purchases.

Best of ``K`` runs, one process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from capra import feed

SEED = 20261201
HERD_GOAL_ANIMAL_DAYS_PER_S = 20e6


def animals(n: int, seed: int = SEED) -> dict:
    rng = np.random.default_rng(seed)
    stage = rng.choice(["suckling", "growing", "mature"], n, p=[0.15, 0.25, 0.6])
    sex = np.where(rng.random(n) < 0.9, "female", "male")
    sex = np.where(stage == "mature", "female", sex)
    weight = np.select([stage == "suckling", stage == "growing"],
                       [rng.uniform(3, 15, n), rng.uniform(15, 45, n)], rng.uniform(45, 70, n))
    milking = (stage == "mature") & (rng.random(n) < 0.6)
    pregnant = (stage == "mature") & ~milking & (rng.random(n) < 0.5)
    return {
        "body_weight_kg": weight, "stage": stage, "sex": sex,
        "daily_gain_g": np.where(stage == "mature", 0.0, rng.uniform(50, 200, n)),
        "milk_kg": np.where(milking, rng.uniform(0.5, 4, n), 0.0),
        "pregnancy_day": np.where(pregnant, rng.uniform(0, 150, n), np.nan),
        "litter": rng.integers(1, 3, n),
        "diet_me_mj_per_kg_dm": np.where(stage == "suckling", 22.0, 10.0),
    }


def best_of(k: int, fn) -> float:
    times = []
    for _ in range(k):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--animals", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    kw = animals(args.animals)
    coded = dict(kw, stage=np.searchsorted(["growing", "mature", "suckling"], kw["stage"])
                 .choose([1, 2, 0]).astype(np.int8),
                 sex=(kw["sex"] == "male").astype(np.int8))
    seconds = best_of(args.repeats, lambda: feed.energy_requirement(**coded))
    print(f"{'energy_requirement (codes)':28s} {args.animals:>9,} animals in {seconds:6.3f} s: "
          f"{args.animals / seconds / 1e6:6.2f} M animal-days/s")
    for name, fn in [("energy_requirement", feed.energy_requirement),
                     ("dry_matter_intake", feed.dry_matter_intake),
                     ("crude_protein_requirement", feed.crude_protein_requirement)]:
        seconds = best_of(args.repeats, lambda fn=fn: fn(**kw))
        rate = args.animals / seconds
        print(f"{name:28s} {args.animals:>9,} animals in {seconds:6.3f} s: "
              f"{rate / 1e6:6.2f} M animal-days/s "
              f"({HERD_GOAL_ANIMAL_DAYS_PER_S / rate:5.2f} x the herd goal's time per "
              "animal-day)")

    days = pd.date_range("2025-01-01", periods=5 * 365)
    rng = np.random.default_rng(SEED)
    shape = (args.replicates, 5, len(days))
    me = rng.uniform(800, 4000, shape)
    res = feed.feed_resources_from_dict({
        "pasture": {"area_ha": 15, "profile": "korean_sown_hill_pasture"},
        "stores": [{"feed": "grass_hay", "opening_t_dm": 30,
                    "deliveries": [{"date": "07-01", "t_dm": 60, "kind": "harvested"}]}]})
    seconds = best_of(args.repeats, lambda: feed.feed_budget(
        days, me, me * 9, res, dm_capacity_kg=me / 8.0))
    print(f"feed_budget {args.replicates} replicates x 5 farms x {len(days)} days: "
          f"{seconds:.2f} s")


if __name__ == "__main__":
    main()

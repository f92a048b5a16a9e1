"""The sustained bench calls a last minute slower than the first only when the whole 95% interval
of the difference of their p50s is above zero: the Done-when's "no slower" must neither pass a
real slowdown nor fail on the tenths of a millisecond that separate two p50s of 50 samples.
Its trend over every minute is judged the same way, with the spread between minutes as noise."""

import random
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from sustained_bench import median_difference, trend  # noqa: E402


def samples(rng, centre, n=50):
    return [centre + rng.gauss(0, 0.3) for _ in range(n)]


def test_a_minute_drawn_from_the_same_reads_is_not_called_slower():
    rng = random.Random(7)
    first, last = samples(rng, 2.8), samples(rng, 2.8)
    verdict = median_difference(first, last)
    assert verdict["ci95"][0] <= 0 <= verdict["ci95"][1]
    assert not verdict["slower"]


def test_a_minute_slower_by_a_millisecond_is_called_slower():
    rng = random.Random(7)
    first, last = samples(rng, 2.8), samples(rng, 3.8)
    verdict = median_difference(first, last)
    assert verdict["slower"]
    assert 0.7 < verdict["ms"] < 1.3


def test_no_samples_in_a_minute_gives_no_verdict():
    assert median_difference([], [1.0]) is None


def minutes(rng, centres):
    """One list of reads per minute; each minute also off by its own amount, as whole minutes of
    a run are (a checkpoint, autovacuum, the mix's luck)."""
    return [samples(rng, centre + rng.gauss(0, 0.15)) for centre in centres]


def test_a_flat_run_whose_end_minutes_differ_is_not_called_slower():
    # A run in which nothing changes, but whose last minute happens to be 0.3 ms slower than
    # its first: more than their reads' noise, so the end minutes' test calls it slower (as it
    # did a reused 1M pair's run). Of 300 such runs it called 68 slower; the trend, 13.
    run = minutes(random.Random(4), [3.2] * 10)
    assert median_difference(run[0], run[-1])["slower"]
    verdict = trend(run)
    assert verdict["minutes"] == 10
    assert not verdict["slower"]
    assert verdict["ci95"][0] <= 0 <= verdict["ci95"][1]


def test_a_run_slowing_by_a_third_of_a_millisecond_a_minute_is_called_slower():
    rng = random.Random(3)
    verdict = trend(minutes(rng, [3.0 + 0.3 * m for m in range(10)]))
    assert verdict["slower"]
    assert 2.2 < verdict["rise_ms"] < 3.2


def test_a_run_getting_faster_is_not_called_slower():
    rng = random.Random(3)
    verdict = trend(minutes(rng, [6.0 - 0.3 * m for m in range(8)]))
    assert not verdict["slower"]
    assert verdict["rise_ms"] < 0


def test_too_few_minutes_give_no_trend():
    rng = random.Random(3)
    assert trend(minutes(rng, [3.0, 3.1])) is None
    assert trend([[], [], [1.0]]) is None

"""The sustained bench calls a last minute slower than the first only when the whole 95% interval
of the difference of their p50s is above zero: the Done-when's "no slower" must neither pass a
real slowdown nor fail on the tenths of a millisecond that separate two p50s of 50 samples."""

import random
import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from sustained_bench import median_difference  # noqa: E402


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

"""An independent recomputation of the repurchase probability (docs/definitions.md §13), in plain pandas.

From the counted orders (reference_segmentation's, one row per order: customer_id, order_date) and the
as-of date, it describes every purchasing customer at the seven snapshots, learns the shrunk cell rates,
applies them with the shift, and evaluates the method out of time, without SQL, so the dbt models can be
checked against a second implementation. Doubles are compared to one unit of the 12th decimal: the two sides
sum the same numbers in different orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

import reference_segmentation

FREQUENCY_EDGES = [1, 2, 3, 4, 6, 9, 14]  # a frequency above each edge moves one bin up: 1,2,3,4,5-6,7-9,10-14,15+


@dataclass
class Repurchase:
    probability: pd.Series  # by customer_id, the published probability (s1 -> s0)
    evaluation: dict[str, tuple[float | None, float | None]]  # predictor -> (auc, brier_score)
    calibration: pd.DataFrame  # decile -> customers, mean_probability, observed_rate


def snapshot(counted: pd.DataFrame, day: date, known_by: date, window: int) -> pd.DataFrame:
    """Each purchasing customer as of ``day``: recency, frequency, tenure, bins and the outcome (null unless the
    window after ``day`` is over by ``known_by``, the training anchor)."""
    day64 = np.datetime64(day, "D")
    before = counted[counted["order_date"] <= day64]
    frame = before.groupby("customer_id").agg(
        frequency=("order_date", "size"),
        monetary_units=("order_total_units", "sum"),
        first=("order_date", "min"),
        last=("order_date", "max"),
    )
    frame["recency_days"] = (day64 - frame["last"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    frame["tenure_days"] = (day64 - frame["first"].to_numpy().astype("datetime64[D]")).astype(np.int64)
    end = day + timedelta(days=window)
    if end <= known_by:
        later = counted[(counted["order_date"] > day64) & (counted["order_date"] <= np.datetime64(end, "D"))]
        frame["bought"] = frame.index.isin(later["customer_id"]).astype(np.int64)
    else:
        frame["bought"] = pd.NA
    frame["frequency_bin"] = sum((frame["frequency"] > edge).astype(np.int64) for edge in FREQUENCY_EDGES)
    # 1 + floor(buckets * (rank - 1) / n), rank() with ties at their lowest rank.
    recency_rank = frame.groupby("frequency_bin")["recency_days"].rank(method="min", ascending=False)
    bin_size = frame.groupby("frequency_bin")["recency_days"].transform("size")
    frame["recency_bin"] = (1 + np.floor(10 * (recency_rank - 1) / bin_size)).astype(np.int64)
    tenure_rank = frame["tenure_days"].rank(method="min", ascending=True)
    frame["tenure_bin"] = (1 + np.floor(5 * (tenure_rank - 1) / len(frame))).astype(np.int64) if len(frame) else []
    return frame


def learn(train: pd.DataFrame, strength: int) -> dict[tuple, float] | None:
    """The shrunk rate of every cell (keys: (), (fb,), (fb, rq), (fb, rq, tq)); None without customers."""
    if train.empty:
        return None
    rates: dict[tuple, float] = {(): int(train["bought"].sum()) / len(train)}
    levels = [["frequency_bin"], ["frequency_bin", "recency_bin"], ["frequency_bin", "recency_bin", "tenure_bin"]]
    for columns in levels:
        for key, group in train.groupby(columns):
            key = tuple(int(k) for k in (key if isinstance(key, tuple) else (key,)))
            parent = rates[key[:-1]]
            rates[key] = (int(group["bought"].sum()) + strength * parent) / (len(group) + strength)
    return rates


def apply(rates: dict[tuple, float], scored: pd.DataFrame) -> pd.Series:
    """Each customer's finest known cell rate."""
    values = []
    for fb, rq, tq in zip(scored["frequency_bin"], scored["recency_bin"], scored["tenure_bin"], strict=True):
        for key in ((fb, rq, tq), (fb, rq), (fb,), ()):
            if key in rates:
                values.append(rates[key])
                break
    return pd.Series(values, index=scored.index, dtype=np.float64)


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def shifted(raw: pd.Series, shift: float) -> pd.Series:
    inside = (raw > 0) & (raw < 1)
    out = raw.copy()
    out[inside] = 1 / (1 + np.exp(-(np.log(raw[inside] / (1 - raw[inside])) + shift)))
    return out.round(12)  # as the model rounds it (rounded_double)


def compute(counted: pd.DataFrame, as_of_date: date, window: int = 90, strength: int = 20, year_ago_min: int = 500):
    """The published probability and the out-of-time evaluation, as the dbt models define them."""
    anchor = as_of_date.replace(day=1)  # the training anchor: the first day of the as-of date's month
    days = {"s1": window, "s2": 2 * window, "s3": 3 * window, "y0": 365, "y1": window + 365, "y2": 2 * window + 365}
    dates = {"s0": as_of_date} | {name: anchor - timedelta(days=back) for name, back in days.items()}
    snaps = {name: snapshot(counted, day, anchor, window) for name, day in dates.items()}
    learned = {name: learn(snaps[name], strength) for name in ("s1", "s2", "s3", "y0", "y1", "y2")}

    def fit(trained: str, scored: str) -> pd.Series | None:
        return None if learned[trained] is None else apply(learned[trained], snaps[scored])

    def shift_for(trained: str, scored: str, year_ago: tuple[str, str], previous: tuple[str, str]) -> float:
        size = len(snaps[trained])
        for pair, usable in ((year_ago, len(snaps[year_ago[0]]) >= max(year_ago_min, 0.25 * size)), (previous, True)):
            raw = fit(*pair)
            if usable and raw is not None and len(raw):
                predicted, observed = round(raw.mean(), 12), snaps[pair[1]]["bought"].astype(np.float64).mean()
                if 0 < predicted < 1 and 0 < observed < 1:
                    return logit(observed) - logit(predicted)
                return 0.0
        return 0.0

    raw_s0 = fit("s1", "s0")
    probability = (
        pd.Series(dtype=np.float64)
        if raw_s0 is None
        else shifted(raw_s0, shift_for("s1", "s0", ("y1", "y0"), ("s2", "s1")))
    )

    evaluation: dict[str, tuple[float | None, float | None]] = {}
    calibration = pd.DataFrame(columns=["customers", "mean_probability", "observed_rate"])
    raw_s1 = fit("s2", "s1")
    if raw_s1 is not None:
        s1, s2 = snaps["s1"], snaps["s2"]
        y = s1["bought"].astype(np.int64)
        p = shifted(raw_s1, shift_for("s2", "s1", ("y2", "y1"), ("s3", "s2")))
        evaluation["repurchase_probability"] = (auc(p, y), brier(p, y))
        flags = {name: at_risk(snaps[name]) for name in ("s1", "s2")}
        flag_rates = s2["bought"].astype(np.float64).groupby(flags["s2"]).mean()
        p_flag = flags["s1"].map(flag_rates).astype(np.float64).fillna(s2["bought"].astype(np.float64).mean())
        evaluation["at_risk_flag"] = (auc(p_flag, y), brier(p_flag, y))
        segments = {name: rfm_segment(snaps[name]) for name in ("s1", "s2")}
        segment_rates = s2["bought"].astype(np.float64).groupby(segments["s2"]).mean()
        overall = s2["bought"].astype(np.float64).mean()
        p_segment = segments["s1"].map(segment_rates).astype(np.float64).fillna(overall)
        evaluation["rfm_segment_rate"] = (auc(p_segment, y), brier(p_segment, y))
        tenths = {name: tenth(snaps[name]["recency_days"]) for name in ("s1", "s2")}
        tenth_rates = s2["bought"].astype(np.float64).groupby(tenths["s2"]).mean()
        p_recency = tenths["s1"].map(tenth_rates).astype(np.float64).fillna(s2["bought"].astype(np.float64).mean())
        evaluation["recency_alone"] = (auc(-s1["recency_days"].astype(np.float64), y), brier(p_recency, y))
        calibration = deciles(p, y)
    return Repurchase(probability, evaluation, calibration)


def at_risk(frame: pd.DataFrame) -> pd.Series:
    """The at-risk rule at default vars: recency above its 75th percentile, frequency at or below its 25th."""
    recency = np.percentile(frame["recency_days"].astype(np.float64), 75, method="linear")
    frequency = np.percentile(frame["frequency"].astype(np.float64), 25, method="linear")
    return (frame["recency_days"] > recency) & (frame["frequency"] <= frequency)


def rfm_segment(frame: pd.DataFrame) -> pd.Series:
    """The RFM segment at default vars, as rfm_segments assigns it (reference_segmentation's rules)."""
    return reference_segmentation.assign_segments(
        reference_segmentation.rfm_scores(frame),
        reference_segmentation.read_segment_map(reference_segmentation.SEGMENT_MAP),
    )


def tenth(recency: pd.Series) -> pd.Series:
    rank = recency.rank(method="min", ascending=False)
    return (1 + np.floor(10 * (rank - 1) / len(recency))).astype(np.int64)


def auc(score: pd.Series, y: pd.Series) -> float | None:
    buyers = int(y.sum())
    if buyers in (0, len(y)):
        return None
    ranks = score.round(12).rank(method="average")
    return float((ranks[y == 1].sum() - buyers * (buyers + 1) / 2) / (buyers * (len(y) - buyers)))


def brier(p: pd.Series, y: pd.Series) -> float:
    return float(((p - y) ** 2).mean())


def deciles(p: pd.Series, y: pd.Series) -> pd.DataFrame:
    """ntile(10) over (order by p, customer_id): the first n % 10 groups hold one more row."""
    frame = pd.DataFrame({"p": p, "y": y}).sort_index().sort_values("p", kind="mergesort")
    q, extra = divmod(len(frame), 10)
    frame["decile"] = np.repeat(np.arange(1, 11), [q + 1 if i < extra else q for i in range(10)])
    return frame.groupby("decile").agg(
        customers=("p", "size"), mean_probability=("p", "mean"), observed_rate=("y", "mean")
    )

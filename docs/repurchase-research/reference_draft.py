"""Reference implementation (pandas) of the recommended repurchase_probability method.

Method "F8 > R10|F > T5, beta-binomial shrinkage m=20, calibration offset":
  snapshot(d): per purchasing customer, from counted orders dated <= d:
      r = d - last order date (days), f = orders, t = d - first order date (days);
      y = 1 if any counted order dated in (d, d + W].
  bins (computed inside each snapshot, ties share a bin; SQL rank() semantics):
      fb = number of F_EDGES that f exceeds (f > e)            -> 0..7  (1,2,3,4,5-6,7-9,10-14,15+)
      rq = 1 + floor(10 * (rank() over (partition by fb order by r desc) - 1) / count in fb)   -> 1..10
      tq = 1 + floor(5 * (rank() over (order by t asc) - 1) / n)                             -> 1..5
  fit on the training snapshot (d_train), cells shrunk to their parent:
      p0 = mean(y); p1[fb] = (k + m p0) / (n + m); p2[fb,rq] = (k + m p1) / (n + m);
      p3[fb,rq,tq] = (k + m p2) / (n + m); a cell absent from training (n = k = 0) gets its parent's value.
  offset: the same fit run one step earlier on a pair whose outcome is known, delta = logit(observed rate) - logit(mean p);
      year-ago pair (train as_of-W-365, score as_of-365) when available, else previous pair (train as_of-2W, score as_of-W).
  p = 1 / (1 + exp(-(logit(p3) + delta))).
Production: repurchase_probability(orders, as_of) trains on as_of - W (labels in (as_of-W, as_of]).
Evaluation: evaluate(orders, T) trains on T - W, scores at T, compares to orders in (T, T+W].
orders: DataFrame[customer_id, order_date (datetime64), amount], counted orders only.
"""
import math
import numpy as np
import pandas as pd

W = 90
F_EDGES = [1, 2, 3, 4, 6, 9, 14]
M = 20.0
YEAR = 365
MIN_YEAR_AGO_CUSTOMERS = 500        # and at least 25% of the current training population


def snapshot(orders, d, w=W):
    d = pd.Timestamp(d)
    o = orders[orders.order_date <= d]
    g = o.groupby("customer_id").order_date
    s = pd.DataFrame({"r": (d - g.max()).dt.days, "f": g.size(), "t": (d - g.min()).dt.days})
    later = orders[(orders.order_date > d) & (orders.order_date <= d + pd.Timedelta(days=w))].customer_id.unique()
    s["y"] = s.index.isin(later).astype(int)
    s["fb"] = sum((s.f > e).astype(int) for e in F_EDGES)
    n_fb = s.groupby("fb").r.transform("size")
    s["rq"] = 1 + np.floor(10 * (s.groupby("fb").r.rank(method="min", ascending=False) - 1) / n_fb).astype(int)
    s["tq"] = 1 + np.floor(5 * (s.t.rank(method="min", ascending=True) - 1) / len(s)).astype(int)
    return s


def fit_predict(train, score, m=M):
    p0 = train.y.mean()
    out = pd.Series(p0, index=score.index)
    for keys in (["fb"], ["fb", "rq"], ["fb", "rq", "tq"]):
        c = train.groupby(keys).y.agg(n="size", k="sum")
        j = score[keys].join(c, on=keys)
        out = (j.k.fillna(0) + m * out) / (j.n.fillna(0) + m)
    return out


def logit(p):
    return np.log(p / (1 - p))


def offset(orders, d, w=W):
    """Calibration offset for scoring at d: (delta, which pair)."""
    first = orders.order_date.min()
    cur_train = snapshot(orders, d - pd.Timedelta(days=w), w)
    ya_train_d = d - pd.Timedelta(days=w + YEAR)
    if ya_train_d >= first:
        ya_train = snapshot(orders, ya_train_d, w)
        if len(ya_train) >= max(MIN_YEAR_AGO_CUSTOMERS, 0.25 * len(cur_train)):
            ya_score = snapshot(orders, d - pd.Timedelta(days=YEAR), w)
            p = fit_predict(ya_train, ya_score)
            return logit(ya_score.y.mean()) - logit(p.mean()), "year_ago"
    pv_train_d = d - pd.Timedelta(days=2 * w)
    if pv_train_d >= first:
        pv_train = snapshot(orders, pv_train_d, w)
        p = fit_predict(pv_train, cur_train)
        if 0 < cur_train.y.mean() < 1:
            return logit(cur_train.y.mean()) - logit(p.mean()), "previous_window"
    return 0.0, "none"


def predict(orders, d, w=W):
    """Probabilities for customers as of d (model trained on d - w, labels in (d - w, d])."""
    d = pd.Timestamp(d)
    train, score = snapshot(orders, d - pd.Timedelta(days=w), w), snapshot(orders, d, w)
    delta, how = offset(orders, d, w)
    p = 1 / (1 + np.exp(-(logit(fit_predict(train, score)) + delta)))
    return p.rename("repurchase_probability"), score, delta, how


def metrics(p, y):
    df = pd.DataFrame({"p": p.round(12), "y": y}).sort_index()          # customer_id as tie-breaker
    ar = df.p.rank(method="average")                                    # average ranks for ties
    n1 = df.y.sum(); n0 = len(df) - n1
    auc = (ar[df.y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    brier = ((df.p - df.y) ** 2).mean()
    # SQL ntile(10) over (order by p, customer_id): first n % 10 groups get one extra row
    df = df.reset_index().sort_values(["p", df.index.name or "index"], kind="mergesort")
    n = len(df); q, rem = divmod(n, 10)
    sizes = [q + 1 if i < rem else q for i in range(10)]
    df["decile"] = np.repeat(np.arange(1, 11), sizes)
    cal = df.groupby("decile").apply(lambda g: g.p.mean() - g.y.mean(), include_groups=False)
    return dict(auc=auc, brier=brier, max_cal=cal.abs().max(), cal=cal.round(3).tolist())


def evaluate(orders, T, w=W):
    """Out-of-time check: train at T - w, score at T, outcome in (T, T + w]."""
    p, score, delta, how = predict(orders, T, w)
    return dict(metrics(p, score.y), offset=delta, offset_pair=how, n=len(score), rate=score.y.mean())


if __name__ == "__main__":
    import sys
    df = pd.read_csv(sys.argv[1], parse_dates=["order_date"])          # customer_id, order_date, amount
    df["customer_id"] = df.customer_id.astype(str)
    print(evaluate(df, pd.Timestamp(sys.argv[2])))

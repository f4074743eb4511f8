"""The segment report: one self-contained HTML file of charts drawn from the built marts.

``risk-segmentation report`` reads the published DuckDB file, or a host project's (the marts in the
schema holding customer_segments, or --schema). Every number is an aggregate the
warehouse computes (a few hundred rows at most, whatever the number of customers); no customer
row reaches Python. Charts are matplotlib figures written as inline SVG: no script, no network,
the same bytes for the same marts (docs/operations.md "The segment report", DECISIONS.md "Report").
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written as SVG
import matplotlib.pyplot as plt  # noqa: E402

RECENCY_BIN_DAYS = 30
FREQUENCY_CAP = 20  # customers with more orders share the last bar ("20+")
LIFECYCLE_STAGES = ["active", "at_risk", "lapsed"]
RETURN_TIERS = ["champion", "standard", "at_risk", "serial_returner"]
COLOURS = {"bar": "#4c72b0", "second": "#dd8452", "threshold": "#c44e52", "grid": "Blues"}

# The aggregates the report draws, each one query over the marts. Ties are broken by name or
# priority so the same marts always give the same rows.
QUERIES = {
    "summary": """
        select max(as_of_date) as as_of_date, count(*) as customers, sum(monetary) as revenue,
            count(*) filter (where is_at_risk) as at_risk
        from rfm_segments""",
    "rf_grid": """
        with cells as (
            select r_score, f_score, rfm_segment, segment_priority, count(*) as customers,
                sum(monetary) as monetary
            from rfm_segments
            group by all
        ),
        ranked as (
            select *, row_number() over (
                partition by r_score, f_score order by customers desc, segment_priority
            ) as rank
            from cells
        )
        select r_score, f_score, sum(customers) as customers, sum(monetary) / sum(customers) as avg_monetary,
            max(case when rank = 1 then rfm_segment end) as segment
        from ranked
        group by r_score, f_score
        order by r_score, f_score""",
    "segments": """
        select rfm_segment, min(segment_priority) as priority, count(*) as customers, sum(monetary) as revenue
        from rfm_segments
        group by rfm_segment
        order by priority""",
    "lifecycle": """
        select lifecycle_stage, count(*) as customers from rfm_segments group by lifecycle_stage""",
    "recency": f"""
        select cast(floor(recency_days / {RECENCY_BIN_DAYS}) * {RECENCY_BIN_DAYS} as integer) as bin_start,
            count(*) as customers
        from rfm_segments
        group by bin_start
        order by bin_start""",
    "frequency": f"""
        select least(frequency, {FREQUENCY_CAP}) as orders, count(*) as customers
        from rfm_segments
        group by orders
        order by orders""",
    "thresholds": """
        select threshold_name, threshold_value from segment_thresholds order by threshold_name""",
    "return_tiers": """
        select return_tier, count(*) as customers, sum(returned_orders) as returned_orders,
            sum(counted_orders) as counted_orders
        from return_risk_segments
        group by return_tier""",
    "quadrants": """
        select risk_value_quadrant, count(*) as customers
        from customer_segments
        where risk_value_quadrant is not null
        group by risk_value_quadrant
        order by risk_value_quadrant""",
    "calibration": """
        select decile, mean_probability, observed_rate from repurchase_calibration order by decile""",
    "evaluation": """
        select predictor, auc, brier_score, not_evaluated_reason, evaluated_as_of
        from repurchase_model_evaluation
        order by predictor""",
    "transitions": """
        select from_segment, to_segment, count(*) as customers, max(as_of_date) as as_of_date
        from segment_transitions
        where dimension = 'rfm_segment'
            -- the moves into the latest date up to the build's: a build of the past draws its own
            and as_of_date = (
                select max(as_of_date) from segment_transitions
                where dimension = 'rfm_segment' and as_of_date <= (select max(as_of_date) from customer_segments)
            )
            and from_segment is not null
        group by from_segment, to_segment
        order by from_segment, to_segment""",
}


# The marts the queries read: a build that left one out (a selection) is refused by name.
MARTS = [
    "rfm_segments", "segment_thresholds", "return_risk_segments", "customer_segments", "segment_transitions",
    "repurchase_model_evaluation", "repurchase_calibration",
]  # fmt: skip


@dataclass
class Chart:
    key: str
    title: str
    reading: str
    svg: str


def aggregates(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Every aggregate of QUERIES, as lists of rows (dicts)."""
    result = {}
    for name, query in QUERIES.items():
        cursor = con.execute(query)
        columns = [description[0] for description in cursor.description]
        result[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return result


def svg(figure: plt.Figure) -> str:
    """The figure as an inline <svg> element: text kept as text, ids fixed, no date."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def label(name: str) -> str:
    return name.replace("_", " ")


def share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "0%"


def rf_grid_chart(rows: list[dict]) -> Chart:
    cells = {(row["r_score"], row["f_score"]): row for row in rows}
    figure, axes = plt.subplots(figsize=(7.5, 6))
    counts = [[cells.get((r, f), {}).get("customers", 0) for f in range(1, 6)] for r in range(5, 0, -1)]
    image = axes.imshow(counts, cmap=COLOURS["grid"])
    for y, r in enumerate(range(5, 0, -1)):
        for x, f in enumerate(range(1, 6)):
            cell = cells.get((r, f))
            if cell:
                dark = cell["customers"] > 0.6 * max(max(line) for line in counts)
                axes.text(
                    x, y, f"{label(cell['segment'])}\n{cell['customers']:,}\n{cell['avg_monetary']:,.0f} avg",
                    ha="center", va="center", fontsize=7, color="white" if dark else "black",
                )  # fmt: skip
    axes.set_xticks(range(5), [str(f) for f in range(1, 6)])
    axes.set_yticks(range(5), [str(r) for r in range(5, 0, -1)])
    axes.set_xlabel("F score (5 = most orders)")
    axes.set_ylabel("R score (5 = most recent)")
    figure.colorbar(image, ax=axes, label="customers")
    largest = max(rows, key=lambda row: (row["customers"], -row["r_score"], -row["f_score"]))
    reading = (
        f"The largest cell is R{largest['r_score']} F{largest['f_score']} ({label(largest['segment'])}): "
        f"{largest['customers']:,} customers spending {largest['avg_monetary']:,.0f} on average."
    )
    title = "Recency x frequency: customers and average monetary value per cell"
    return Chart("rf_grid", title, reading, svg(figure))


def segments_chart(rows: list[dict]) -> Chart:
    customers = sum(row["customers"] for row in rows)
    revenue = sum(row["revenue"] for row in rows)
    names = [label(row["rfm_segment"]) for row in rows][::-1]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5), sharey=True)
    left.barh(names, [row["customers"] for row in rows][::-1], color=COLOURS["bar"])
    left.set_xlabel("customers")
    right.barh(names, [100 * row["revenue"] / revenue for row in rows][::-1], color=COLOURS["second"])
    right.set_xlabel("share of revenue (%)")
    top = max(rows, key=lambda row: (row["revenue"], -row["priority"]))
    reading = (
        f"{label(top['rfm_segment']).capitalize()} bring {share(top['revenue'], revenue)} of revenue "
        f"with {share(top['customers'], customers)} of the customers."
    )
    return Chart("segments", "RFM segments: size and share of revenue", reading, svg(figure))


def lifecycle_chart(rows: list[dict]) -> Chart:
    counts = {row["lifecycle_stage"]: row["customers"] for row in rows}
    total = sum(counts.values())
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.bar([label(stage) for stage in LIFECYCLE_STAGES], [counts.get(stage, 0) for stage in LIFECYCLE_STAGES],
             color=COLOURS["bar"])  # fmt: skip
    axes.set_ylabel("customers")
    reading = ", ".join(f"{share(counts.get(stage, 0), total)} {label(stage)}" for stage in LIFECYCLE_STAGES)
    return Chart("lifecycle", "Lifecycle stages", f"Of the purchasing customers: {reading}.", svg(figure))


def recency_chart(rows: list[dict], threshold: float | None, summary: dict) -> Chart:
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.bar([row["bin_start"] for row in rows], [row["customers"] for row in rows], width=RECENCY_BIN_DAYS,
             align="edge", color=COLOURS["bar"])  # fmt: skip
    if threshold is not None:
        axes.axvline(threshold, color=COLOURS["threshold"], linestyle="--", label=f"at-risk above {threshold:g} days")
        axes.legend()
    axes.set_xlabel(f"days since the last order ({RECENCY_BIN_DAYS}-day bins)")
    axes.set_ylabel("customers")
    reading = (
        f"{summary['at_risk']:,} customers ({share(summary['at_risk'], summary['customers'])}) are at risk: "
        f"more days since their last order than the threshold, and few orders."
    )
    return Chart("recency", "Recency, with the at-risk threshold", reading, svg(figure))


def frequency_chart(rows: list[dict], threshold: float | None) -> Chart:
    figure, axes = plt.subplots(figsize=(8, 3.5))
    axes.bar([row["orders"] for row in rows], [row["customers"] for row in rows], color=COLOURS["bar"])
    axes.set_xticks(range(1, FREQUENCY_CAP + 1), [*map(str, range(1, FREQUENCY_CAP)), f"{FREQUENCY_CAP}+"])
    if threshold is not None:
        line = f"at-risk at {threshold:g} or fewer"
        axes.axvline(threshold + 0.5, color=COLOURS["threshold"], linestyle="--", label=line)
        axes.legend()
    axes.set_xlabel("counted orders")
    axes.set_ylabel("customers")
    total = sum(row["customers"] for row in rows)
    few = sum(row["customers"] for row in rows if threshold is not None and row["orders"] <= threshold)
    reading = f"{share(few, total)} of the customers have no more orders than the at-risk frequency threshold."
    return Chart("frequency", "Frequency, with the at-risk threshold", reading, svg(figure))


def return_tiers_chart(rows: list[dict], store_rate: float | None) -> Chart:
    counts = {row["return_tier"]: row["customers"] for row in rows}
    total = sum(counts.values())
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.bar([label(tier) for tier in RETURN_TIERS], [counts.get(tier, 0) for tier in RETURN_TIERS],
             color=COLOURS["second"])  # fmt: skip
    axes.set_ylabel("customers")
    rate = f"{100 * store_rate:.1f}%" if store_rate is not None else "unknown"
    serial = counts.get("serial_returner", 0)
    reading = f"The store return rate is {rate}; {share(serial, total)} of the customers are serial returners."
    return Chart("return_tiers", "Return tiers", reading, svg(figure))


def quadrants_chart(rows: list[dict]) -> Chart:
    total = sum(row["customers"] for row in rows)
    figure, axes = plt.subplots(figsize=(7, 3.5))
    axes.barh([label(row["risk_value_quadrant"]) for row in rows][::-1], [row["customers"] for row in rows][::-1],
              color=COLOURS["bar"])  # fmt: skip
    axes.set_xlabel("customers")
    top = max(rows, key=lambda row: (row["customers"], row["risk_value_quadrant"])) if rows else None
    reading = (
        f"The largest quadrant is {label(top['risk_value_quadrant'])} ({share(top['customers'], total)})."
        if top
        else "No purchasing customer yet."
    )
    return Chart("quadrants", "Churn risk x value quadrants", reading, svg(figure))


PREDICTORS = ["repurchase_probability", "rfm_segment_rate", "recency_alone", "at_risk_flag"]


def repurchase_chart(calibration: list[dict], evaluation: list[dict]) -> Chart | None:
    """How well the repurchase probability did one window ago: calibration by decile, and its AUC beside
    the other predictors'; none when the history does not reach back two windows."""
    auc = {row["predictor"]: row["auc"] for row in evaluation if row["auc"] is not None}
    if not calibration or "repurchase_probability" not in auc:
        return None
    # Constrained layout spaces the two charts by their tick labels: with the default spacing the
    # predictor names ran over the calibration chart.
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    figure.get_layout_engine().set(wspace=0.05)
    predicted = [100 * row["mean_probability"] for row in calibration]
    observed = [100 * row["observed_rate"] for row in calibration]
    left.plot([0, 100], [0, 100], color="#999999", linewidth=1, linestyle="--")
    left.plot(predicted, observed, marker="o", color=COLOURS["bar"])
    left.set_xlabel("predicted probability (%), by decile")
    left.set_ylabel("bought again (%)")
    left.set_xlim(0, 100)
    left.set_ylim(0, 100)
    names = [name for name in PREDICTORS if name in auc]
    colours = [COLOURS["second"] if name == "repurchase_probability" else COLOURS["bar"] for name in names]
    right.barh([label(name) for name in names][::-1], [auc[name] for name in names][::-1], color=colours[::-1])
    right.axvline(0.5, color=COLOURS["threshold"], linewidth=1)
    right.set_xlim(0.4, 1)
    right.set_xlabel("AUC (0.5 is a coin toss)")
    gap = max(abs(p - o) for p, o in zip(predicted, observed, strict=True))
    flag = auc.get("at_risk_flag")
    lift = auc["repurchase_probability"] - flag if flag is not None else None
    versus = f", {lift:+.2f} against the at-risk flag's {flag:.2f}" if lift is not None else ""
    reading = (
        f"Scored one window ago, the repurchase probability ranked a buyer above a non-buyer with AUC "
        f"{auc['repurchase_probability']:.2f}{versus}; no decile's prediction was off by more than {gap:.0f} points."
    )
    return Chart("repurchase", "Repurchase probability: calibration and ranking, one window ago", reading, svg(figure))


def transitions_chart(rows: list[dict]) -> Chart | None:
    """The RFM segment moves into the latest as-of date of the history; none before it holds two."""
    if not rows:
        return None
    names = sorted({row["from_segment"] for row in rows} | {row["to_segment"] for row in rows})
    index = {name: position for position, name in enumerate(names)}
    counts = [[0] * len(names) for _ in names]
    for row in rows:
        counts[index[row["from_segment"]]][index[row["to_segment"]]] = row["customers"]
    figure, axes = plt.subplots(figsize=(8, 7))
    axes.imshow(counts, cmap=COLOURS["grid"])
    for y, line in enumerate(counts):
        for x, value in enumerate(line):
            if value:
                axes.text(x, y, f"{value:,}", ha="center", va="center", fontsize=7)
    axes.set_xticks(range(len(names)), [label(name) for name in names], rotation=45, ha="right")
    axes.set_yticks(range(len(names)), [label(name) for name in names])
    axes.set_xlabel("segment now")
    axes.set_ylabel("segment before")
    moved = sum(row["customers"] for row in rows if row["from_segment"] != row["to_segment"])
    last = rows[0]["as_of_date"]
    reading = f"{moved:,} customers changed RFM segment between the last two as-of dates (as of {last})."
    return Chart("transitions", "RFM segment transitions between the last two as-of dates", reading, svg(figure))


def charts(data: dict[str, list[dict]]) -> list[Chart]:
    thresholds = {row["threshold_name"]: row["threshold_value"] for row in data["thresholds"]}
    summary = data["summary"][0]
    drawn = [
        rf_grid_chart(data["rf_grid"]),
        segments_chart(data["segments"]),
        lifecycle_chart(data["lifecycle"]),
        recency_chart(data["recency"], thresholds.get("at_risk_recency_days"), summary),
        frequency_chart(data["frequency"], thresholds.get("at_risk_max_orders")),
        return_tiers_chart(data["return_tiers"], thresholds.get("store_return_rate")),
        quadrants_chart(data["quadrants"]),
        repurchase_chart(data["calibration"], data["evaluation"]),
        transitions_chart(data["transitions"]),
    ]
    return [chart for chart in drawn if chart is not None]


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
header p { color: #555; }
section { border-top: 1px solid #ddd; padding: 1em 0; }
section h2 { font-size: 1.15em; margin: 0.2em 0; }
section p.reading { margin: 0.2em 0 0.8em; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
"""


def render(data: dict[str, list[dict]]) -> str:
    summary = data["summary"][0]
    sections = "\n".join(
        f'<section id="{chart.key}" class="chart">\n<h2>{html.escape(chart.title)}</h2>\n'
        f'<p class="reading">{html.escape(chart.reading)}</p>\n<figure>{chart.svg}</figure>\n</section>'
        for chart in charts(data)
    )
    history = "" if data["transitions"] else "<p>No segment history yet: transitions need two as-of dates.</p>"
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Customer segments</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>Customer segments</h1>\n"
        f"<p>As of {summary['as_of_date']}: {summary['customers']:,} purchasing customers, "
        f"{summary['revenue']:,.0f} in counted orders.</p>\n{history}\n</header>\n{sections}\n</body>\n</html>\n"
    )


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def schemas_holding(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The schemas of the file that hold a table or view named table, in name order."""
    rows = con.execute(
        "select distinct table_schema from information_schema.tables "
        "where table_catalog = current_database() and lower(table_name) = lower(?) order by table_schema",
        [table],
    ).fetchall()
    return [row[0] for row in rows]


def marts_schema(con: duckdb.DuckDBPyConnection, database: Path, schema: str | None = None) -> str:
    """Where the marts of a DuckDB file are (report and export): schema (--schema) when given, else the one
    schema holding customer_segments - `main` in this project's published file, the target schema of a host
    project that builds it as a package. None, or several without --schema, is an error saying so."""
    holders = schemas_holding(con, "customer_segments")
    if schema is not None:
        chosen = [holder for holder in holders if holder.lower() == schema.lower()]
        if not chosen:
            where = f"; it is in schema {', '.join(holders)}" if holders else ""
            raise ValueError(f"{database} has no customer_segments in schema {schema}{where}")
        return chosen[0]
    if not holders:
        raise ValueError(
            f"{database} holds no customer_segments: build the marts first (make build, or dbt build), "
            "or pass the --database of a build"
        )
    if len(holders) > 1:
        raise ValueError(
            f"{database} holds customer_segments in {len(holders)} schemas ({', '.join(holders)}): "
            "choose one with --schema"
        )
    return holders[0]


def seed_values(con: duckdb.DuckDBPyConnection, database: Path, schema: str, column: str, seed: str,
                order_by: str) -> list[str]:  # fmt: skip
    """The values of column in the seed table seed, ordered by order_by: the segment names of a dimension
    whose names are data (export). The seed is wherever the file holds it: `<schema>_seeds` for this
    project's seeds, or where a host project built its own version of the seed (README, "Use it inside your
    dbt project"). When several schemas hold one with different values (a host's version beside the
    package's from an earlier build), the one naming every value of column in the marts is the one the
    build used; if that still leaves more than one, it is an error naming them."""
    holders = schemas_holding(con, seed)
    if not holders:
        raise ValueError(f"{database} holds no {seed}, where the {column} names are: build the seeds too")
    found = {
        holder: tuple(
            row[0]
            for row in con.execute(f"select {column} from {quoted(holder)}.{seed} order by {order_by}").fetchall()
        )
        for holder in holders
    }
    if len(set(found.values())) > 1:
        in_marts = {
            row[0]
            for row in con.execute(
                f"select distinct {column} from {quoted(schema)}.customer_segments where {column} is not null"
            ).fetchall()
        }
        found = {holder: names for holder, names in found.items() if in_marts <= set(names)}
    if len(set(found.values())) != 1:
        raise ValueError(
            f"{database} holds {seed} in schemas {', '.join(holders)}, with different {column}s, and the marts "
            f"in {schema} do not tell which the build used: drop the one it no longer uses"
        )
    return list(next(iter(found.values())))


def write_report(database: Path, out: Path, schema: str | None = None) -> int:
    """Write the report of the marts in database (in schema, or the schema holding customer_segments) to out;
    returns the number of charts."""
    if not database.exists():
        raise ValueError(f"no database at {database}: run the build first (make build), or pass --database")
    with duckdb.connect(str(database), read_only=True) as con:
        schema = marts_schema(con, database, schema)
        present = {
            row[0].lower()
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema = ?",
                [schema],
            ).fetchall()
        }
        missing = [mart for mart in MARTS if mart not in present]
        if missing:
            raise ValueError(
                f"{database} lacks the marts {', '.join(missing)} in schema {schema}: build every mart first "
                "(make build, or dbt build)"
            )
        con.execute(f"use {quoted(schema)}")  # the queries name the marts unqualified
        data = aggregates(con)
    if not data["summary"][0]["customers"]:
        raise ValueError(f"{database} has no purchasing customer: nothing to draw")
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "risk-segmentation", "font.size": 9})
    page = render(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return page.count('class="chart"')

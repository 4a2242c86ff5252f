"""Perpetrator chain: police suspects to custodial sentences per year and exploitation form.

The input gives counts per stage; the table publishes them per form of ``codes.CHAIN_FORM``
(criminal and other exploitation together) and adds the total over the forms (``all``). The
conversion from one stage to the next is derived in the report from shown counts only.
"""

from __future__ import annotations

import pandas as pd

from traffickingmonitor.analysis.tables import MonitorTable, table_words
from traffickingmonitor.codes import api as codes

ALL = "all"


def chain_table(chain: pd.DataFrame) -> MonitorTable | None:
    """Wide: one row per year and form (and ``all``), one count column per stage.

    Each stage is a population of its own (the suspects of a year are not split into
    convictions), so the stages are columns, not categories of one count.
    """
    if chain.empty:
        return None
    stages = list(codes.CHAIN_STAGE.order())
    frame = chain.assign(
        year=chain["year"].astype(int),
        cases=chain["count"].astype(int),
        exploitation_form=chain["exploitation_form"].map(codes.CHAIN_FORM_OF),
    )
    wide = frame.pivot_table(
        index=["year", "exploitation_form"], columns="stage", values="cases", aggfunc="sum"
    )
    wide = wide.reindex(columns=stages).fillna(0).astype(int)
    total = wide.groupby(level="year").sum()
    total["exploitation_form"] = ALL
    total = total.set_index("exploitation_form", append=True)
    forms = [f for f in codes.CHAIN_FORM.order() if f in set(frame["exploitation_form"])]
    out = pd.concat([total, wide]).reset_index()
    out["order"] = out["exploitation_form"].map({f: i for i, f in enumerate([ALL, *forms])})
    out = out.sort_values(["year", "order"]).drop(columns="order").reset_index(drop=True)
    out.columns.name = None
    return MonitorTable(
        "perpetrator_chain",
        frame=out[["year", "exploitation_form", *stages]],
        dimensions=("year", "exploitation_form"),
        counts=tuple(stages),
        unit="cases",
        **table_words("perpetrator_chain"),
        margin_of="",
        total_categories={"exploitation_form": ALL},
    )

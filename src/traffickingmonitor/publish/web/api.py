"""The API ``/api/v1``: protected tables of the editions as JSON or CSV.

Every number comes from a ``ProtectedTable`` (``EditionData.tables`` goes through
``protect_edition``); a hidden count is the rule's symbol, e.g. ``"<10"``, never a number.

An edition never changes, so a response body is computed once per edition, table, format and
filter (a bounded cache) after the access check; the handlers are ``async`` and only the
first build of an edition's tables goes to the thread pool.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from traffickingmonitor.disclosure.api import require_protected
from traffickingmonitor.publish import csv_safe
from traffickingmonitor.publish.web.access import (
    approved,
    edition_for,
    latest_for,
    visible_editions,
)

router = APIRouter(prefix="/api/v1", tags=["tables"])

Cell = int | float | str | None


class EditionOut(BaseModel):
    edition_id: str
    created_at: str
    code_version: str
    inputs_sha256: str
    latest: bool
    approved: bool = Field(
        description="Approved for publication; a draft is listed to analysts and admins only."
    )
    synthetic: bool = Field(description="Made from synthetic data (no real persons).")


class TableInfo(BaseModel):
    table_id: str
    title_nl: str
    title_en: str
    dimensions: list[str]
    counts: list[str]
    estimates: list[str]
    unit: str
    overlapping: bool
    suppressed_cells: int
    rows: int


class TableOut(BaseModel):
    edition_id: str
    table: TableInfo
    disclosure: dict[str, int | float | str | bool | None]
    filters: dict[str, str]
    rows: list[dict[str, Cell]] = Field(
        description="One object per row; a count hidden by disclosure control is the symbol."
    )


class Problem(BaseModel):
    detail: str


ERRORS = {
    400: {"model": Problem, "description": "Bad filter"},
    403: {"model": Problem, "description": "An older edition (not public)"},
    404: {"model": Problem, "description": "No such edition (or a draft) or table"},
}


JSON = "application/json"


async def _protected(request: Request, edition) -> dict:
    data = request.app.state.data
    if not data.tables_ready(edition.edition_id):
        await run_in_threadpool(data.tables, edition.edition_id)
    return data.tables(edition.edition_id)


@router.get("/editions", response_model=list[EditionOut], summary="Editions you may see")
async def editions(request: Request):
    latest = latest_for(request)
    public = approved(request)
    return [
        EditionOut(
            edition_id=e.edition_id,
            created_at=e.created_at.isoformat(),
            code_version=e.code_version,
            inputs_sha256=e.inputs_hash,
            latest=e is latest,
            approved=e.edition_id in public,
            synthetic=bool(e.notes.get("synthetic")),
        )
        for e in visible_editions(request)
    ]


def _info(tid: str, t) -> TableInfo:
    src = t.spec
    return TableInfo(
        table_id=tid,
        title_nl=src.title_nl,
        title_en=src.title_en,
        dimensions=list(src.dimensions),
        counts=list(src.counts),
        estimates=list(src.estimates),
        unit=src.unit,
        overlapping=src.overlapping,
        suppressed_cells=int(t.suppressed.to_numpy().sum()),
        rows=len(t.frame),
    )


@router.get(
    "/editions/{edition_id}/tables",
    response_model=list[TableInfo],
    responses=ERRORS,
    summary="Protected tables of an edition",
)
async def tables(request: Request, edition_id: str):
    edition = edition_for(request, edition_id)
    protected = await _protected(request, edition)
    body = request.app.state.data.memo(
        ("api tables", edition.edition_id),
        lambda: (
            "[" + ",".join(_info(tid, t).model_dump_json() for tid, t in protected.items()) + "]"
        ),
    )
    return Response(body, media_type=JSON)


@router.get(
    "/editions/{edition_id}/tables/{table_id}",
    response_model=TableOut,
    responses={
        **ERRORS,
        200: {
            "content": {"text/csv": {}},
            "description": "The table (JSON, or CSV with format=csv)",
        },
    },
    summary="One protected table, optionally filtered",
)
async def table(
    request: Request,
    edition_id: str,
    table_id: str,
    format: Literal["json", "csv"] = "json",
    year: Annotated[int | None, Query(description="Only this year")] = None,
    where: Annotated[
        list[str],
        Query(description="Filters `dimension:value`, e.g. `sex:female` (repeatable)"),
    ] = [],  # noqa: B006 - FastAPI copies the default
):
    edition = edition_for(request, edition_id)
    protected = await _protected(request, edition)
    if table_id not in protected:
        raise HTTPException(404, f"no table {table_id!r} in edition {edition.edition_id}")
    t = require_protected(protected[table_id])
    filters: dict[str, str] = {}
    for w in where:
        dim, sep, value = w.partition(":")
        if not sep or dim not in t.spec.dimensions:
            raise HTTPException(
                400, f"filter must be dimension:value with one of {list(t.spec.dimensions)}"
            )
        filters[dim] = value
    if year is not None:
        if "year" not in t.spec.dimensions:
            raise HTTPException(400, "this table has no year")
        filters["year"] = str(year)

    def build() -> str:
        frame = t.frame
        for dim, value in filters.items():
            frame = frame[frame[dim].astype(str) == value]
        if format == "csv":
            return csv_safe.to_csv(frame)
        return TableOut(
            edition_id=edition.edition_id,
            table=_info(table_id, t),
            disclosure={
                k: v for k, v in t.rule.to_dict().items() if not isinstance(v, (dict, list))
            },
            filters=filters,
            rows=json.loads(frame.to_json(orient="records")),
        ).model_dump_json()

    data = request.app.state.data
    known = all(
        value
        in data.memo(
            ("api values", edition.edition_id, table_id, dim),
            lambda d=dim: set(t.frame[d].astype(str)),
        )
        for dim, value in filters.items()
    )
    if not known:  # a value the table does not have: an empty answer, not a cache entry
        body = build()
    else:
        key = (edition.edition_id, table_id, format, tuple(sorted(filters.items())))
        body = data.responses.get(key, build)
    if format == "csv":
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{edition.edition_id}_{table_id}.csv"'
            },
        )
    return Response(body, media_type=JSON)

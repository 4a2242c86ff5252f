"""The analyst's workspace (analysts and administrators): edition comparison, data quality,
linkage and hidden-number diagnostics, and the protected tables of every edition for download."""

from __future__ import annotations

import io
import zipfile

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from traffickingmonitor.publish.web import workspace_data
from traffickingmonitor.publish.web.access import edition_for, is_draft, require
from traffickingmonitor.publish.web.app import lang_of, render
from traffickingmonitor.publish.web.workspace_words import WORDS

router = APIRouter(include_in_schema=False)
STAFF = ("admin", "analyst")


def _staff_edition(request: Request):
    """The edition of ``?edition=`` (default the latest), for staff only (drafts too)."""
    require(request, *STAFF)
    return edition_for(request, request.query_params.get("edition"))


def _page(request: Request, template: str, **context) -> HTMLResponse:
    data = request.app.state.data
    return render(
        request,
        template,
        ww=WORDS[lang_of(request)],
        editions=list(reversed(data.editions)),
        **context,
    )


@router.get("/workspace", response_class=HTMLResponse)
def workspace_index(request: Request):
    from traffickingmonitor.publish.web import approvals

    edition = _staff_edition(request)
    data = request.app.state.data
    with request.app.state.db() as db:
        status = approvals.status(db, edition.edition_id)
    return _page(
        request,
        "workspace.html.j2",
        edition=edition,
        status=status,
        prev=data.previous(edition.edition_id),
    )


@router.get("/workspace/compare", response_class=HTMLResponse)
async def workspace_compare(request: Request):
    edition = _staff_edition(request)
    data = request.app.state.data
    prev = data.previous(edition.edition_id)
    lang = lang_of(request)
    tables = inputs = config = None
    if prev is not None:
        threshold = data.rule(edition.edition_id).threshold

        def build():
            return workspace_data.compare_tables(
                data.tables(edition.edition_id), data.tables(prev.edition_id), threshold, lang
            )

        tables = await run_in_threadpool(
            data.memo, ("ws-compare", edition.edition_id, prev.edition_id, lang), build
        )
        inputs = workspace_data.input_changes(edition, prev)
        config = workspace_data.config_changes(edition, prev)
    return _page(
        request,
        "workspace_compare.html.j2",
        edition=edition,
        prev=prev,
        tables=tables,
        inputs=inputs,
        config=config,
    )


@router.get("/workspace/quality", response_class=HTMLResponse)
async def workspace_quality(request: Request):
    edition = _staff_edition(request)
    data = request.app.state.data
    q = await run_in_threadpool(
        data.memo,
        ("ws-quality", edition.edition_id),
        lambda: workspace_data.quality(
            data.db,
            edition.edition_id,
            data.tables(edition.edition_id),
            data.rule(edition.edition_id).threshold,
        ),
    )
    return _page(request, "workspace_quality.html.j2", edition=edition, q=q)


@router.get("/workspace/linkage", response_class=HTMLResponse)
async def workspace_linkage(request: Request):
    edition = _staff_edition(request)
    data = request.app.state.data
    lang = lang_of(request)
    link = await run_in_threadpool(
        data.memo,
        ("ws-linkage", edition.edition_id, lang),
        lambda: workspace_data.linkage(data.db, edition.edition_id, lang),
    )
    return _page(request, "workspace_linkage.html.j2", edition=edition, link=link)


@router.get("/workspace/hidden", response_class=HTMLResponse)
async def workspace_hidden(request: Request):
    edition = _staff_edition(request)
    data = request.app.state.data

    lang = lang_of(request)

    def build():
        return workspace_data.hidden_number(
            data.tables(edition.edition_id),
            edition.notes.get("hidden_number", {}),
            data.rule(edition.edition_id),
            lang,
        )

    hidden = await run_in_threadpool(data.memo, ("ws-hidden", edition.edition_id, lang), build)
    return _page(request, "workspace_hidden.html.j2", edition=edition, hidden=hidden)


@router.get("/workspace/downloads", response_class=HTMLResponse)
def workspace_downloads(request: Request):
    require(request, *STAFF)
    data = request.app.state.data
    lang = lang_of(request)
    rows = [
        {
            "edition": e,
            "draft": is_draft(request, e),
            "tables": [
                {"id": tid, "title": t.title(lang)} for tid, t in data.tables(e.edition_id).items()
            ],
        }
        for e in reversed(data.editions)
    ]
    return _page(request, "workspace_downloads.html.j2", edition=data.latest, rows=rows)


@router.get("/workspace/downloads/{edition_id}.zip")
def workspace_zip(request: Request, edition_id: str):
    """Every protected table of one edition (CSV, the same files as ``/downloads``) and its
    metadata in one zip."""
    require(request, *STAFF)
    data = request.app.state.data
    edition = data.edition(edition_id)
    if edition is None:
        raise HTTPException(404, "no such edition")
    lang = lang_of(request)
    folder = data.csv_folder(edition_id, lang, is_draft(request, edition))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                z.write(path, f"{edition_id}_{lang}/{path.name}")
    name = f"{edition_id}_{lang}.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )

"""Baselines for bench/submit.py: FastAPI endpoints that parse the same form and answer as the
real one does (303), with no validation and no database.

- ``/s/{office_code}``: the idiomatic FastAPI endpoint, written the way this project writes
  handlers (a sync ``def`` declaring its ``Form`` fields). This is the target's baseline.
- ``/raw/s/{office_code}``: the least a FastAPI endpoint can do: ``async def`` reading the raw
  form. Printed as a stricter reference.

Both apps run with the same framework options as the real one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Form
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from app.main import FRAMEWORK_OPTIONS
from app.web.ballot_form import read_form, submission_from_form

app = FastAPI(**FRAMEWORK_OPTIONS)


@app.post("/s/{office_code}")
def idiomatic(
    office_code: str,
    polite: Annotated[int, Form(alias="q.polite", ge=1, le=5)],
    attentive: Annotated[int, Form(alias="q.attentive", ge=1, le=5)],
    answers_fully: Annotated[int, Form(alias="q.answers_fully", ge=1, le=5)],
    guides_thoroughly: Annotated[int, Form(alias="q.guides_thoroughly", ge=1, le=5)],
    easy_to_understand: Annotated[int, Form(alias="q.easy_to_understand", ge=1, le=5)],
    complies: Annotated[int, Form(alias="q.complies", ge=1, le=5)],
    idem: Annotated[str, Form(max_length=128)],
    survey: Annotated[str | None, Form()] = None,
    counter: Annotated[int | None, Form()] = None,
    comment: Annotated[str | None, Form(max_length=1000)] = None,
) -> RedirectResponse:
    return RedirectResponse(f"/s/{office_code}/r/{idem[:10]}", status_code=303)


@app.post("/raw/s/{office_code}")
async def raw(office_code: str, form: Annotated[FormData, Depends(read_form)]) -> RedirectResponse:
    submission = submission_from_form(form)
    return RedirectResponse(f"/s/{office_code}/r/{len(submission.answers)}", status_code=303)

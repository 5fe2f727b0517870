"""The ``Annotated`` dependency aliases handlers use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings, get_settings
from app.core.db import SessionDep
from app.surveys.catalog import SurveyCatalog


async def get_catalog(request: Request) -> SurveyCatalog:
    catalog: SurveyCatalog = request.app.state.catalog
    return catalog


SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogDep = Annotated[SurveyCatalog, Depends(get_catalog)]

__all__ = ["CatalogDep", "SessionDep", "SettingsDep"]

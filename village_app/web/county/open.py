"""Starting the county app: read the registry, open the county index, reach CouchDB, and
(unless told not to) keep the index up to date in the background."""

from __future__ import annotations

import asyncio
import logging

from sync.couch_http import split_url
from sync.couch_server import CouchServer
from village_app.county.index import CountyIndex
from village_app.county.registry import load
from village_app.web.county.context import CountyContext
from village_app.web.settings import Settings

log = logging.getLogger(__name__)


async def open_county(settings: Settings) -> CountyContext:
    if not settings.couch_url:
        raise RuntimeError("county mode needs the county CouchDB (--couch)")
    if settings.registry is not None:
        registry = settings.registry
    elif settings.registry_path is not None:
        registry = load(settings.registry_path)
    else:
        raise RuntimeError("county mode needs the county registry (--registry)")
    folder = settings.county_index_dir()
    folder.mkdir(parents=True, exist_ok=True)
    address, _ = split_url(settings.couch_url, with_db=False)
    context = CountyContext(
        registry=registry,
        index=await CountyIndex.open(folder),
        server=CouchServer(settings.couch_url),
        base_url=address.base,
        prefix=settings.db_prefix,
    )
    if settings.follow_index:
        from village_app.county.indexer import CountyIndexer

        indexer = CountyIndexer(settings.couch_url, folder, prefix=settings.db_prefix + "village_")
        context.indexer = indexer
        context.indexer_task = asyncio.create_task(_follow(indexer), name="county indexer")
    return context


async def _follow(indexer: object) -> None:
    from village_app.county.indexer import CountyIndexer

    assert isinstance(indexer, CountyIndexer)
    try:
        await indexer.run_forever()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("the county indexer stopped; the pages show the index as it was")

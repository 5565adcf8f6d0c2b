"""Import every model module so that ``Base.metadata`` knows every table (for Alembic).

:func:`configure_models` also configures every mapper: the server, the worker and the app
call it before a job or a request runs.
"""

from __future__ import annotations

from sqlalchemy.orm import configure_mappers

from zhengwu.accounts import models as accounts_models
from zhengwu.audit import models as audit_models
from zhengwu.auth import models as auth_models
from zhengwu.db.base import Base
from zhengwu.index import models as index_models
from zhengwu.ingest import models as ingest_models
from zhengwu.library import models as library_models
from zhengwu.outbox import models as outbox_models
from zhengwu.ratelimit import models as ratelimit_models
from zhengwu.regions import models as regions_models
from zhengwu.rescue import models as rescue_models
from zhengwu.search import models as search_models
from zhengwu.servicedesk import models as servicedesk_models
from zhengwu.servicedesk.open311 import models as open311_models

__all__ = [
    "Base",
    "accounts_models",
    "audit_models",
    "auth_models",
    "configure_models",
    "index_models",
    "ingest_models",
    "library_models",
    "open311_models",
    "outbox_models",
    "ratelimit_models",
    "regions_models",
    "rescue_models",
    "search_models",
    "servicedesk_models",
]


def configure_models() -> None:
    """Register every model class and configure the mappers, before any job or request runs.

    The first query configures the mappers of every class defined so far; were a model
    module still half imported by another thread (the server importing the app while its
    worker thread runs a job), a relationship naming a class not yet defined would fail,
    and that failure would stay with the mapper for the life of the process.
    """
    configure_mappers()

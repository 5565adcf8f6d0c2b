"""Import every model module so that ``Base.metadata`` knows every table (for Alembic)."""

from __future__ import annotations

from zhengwu.accounts import models as accounts_models
from zhengwu.audit import models as audit_models
from zhengwu.auth import models as auth_models
from zhengwu.db.base import Base
from zhengwu.index import models as index_models
from zhengwu.ingest import models as ingest_models
from zhengwu.library import models as library_models
from zhengwu.outbox import models as outbox_models
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
    "index_models",
    "ingest_models",
    "library_models",
    "open311_models",
    "outbox_models",
    "regions_models",
    "rescue_models",
    "search_models",
    "servicedesk_models",
]

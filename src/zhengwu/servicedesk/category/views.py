"""Routes of the category tree: read it (anyone), edit it (admin)."""

from __future__ import annotations

from fastapi import APIRouter

from zhengwu.servicedesk.category import service as category_service
from zhengwu.servicedesk.category.models import CategoryCreate, CategoryRead, CategoryUpdate
from zhengwu.web.deps import DB, WritingPrincipal

router = APIRouter(prefix="/api/desk/categories", tags=["service desk 诉求办理"])


@router.get("", response_model=list[CategoryRead])
def list_categories(db: DB, include_inactive: bool = False) -> list[CategoryRead]:
    """Return the category tree, parents before children."""
    tree = category_service.get_tree(db, include_inactive=include_inactive)
    return [CategoryRead.model_validate(c) for c in tree]


@router.get("/{code}", response_model=CategoryRead)
def get_category(db: DB, code: str) -> CategoryRead:
    """Return one category."""
    return CategoryRead.model_validate(category_service.get(db, code))


@router.post("", response_model=CategoryRead, status_code=201)
def create_category(db: DB, principal: WritingPrincipal, data: CategoryCreate) -> CategoryRead:
    """Add a category (admin)."""
    principal.require("admin")
    return CategoryRead.model_validate(category_service.create(db, data=data, actor=principal))


@router.patch("/{code}", response_model=CategoryRead)
def update_category(
    db: DB, principal: WritingPrincipal, code: str, data: CategoryUpdate
) -> CategoryRead:
    """Edit a category (admin); the version goes up and the old values are audited."""
    principal.require("admin")
    category = category_service.get(db, code)
    return CategoryRead.model_validate(
        category_service.update(db, category=category, data=data, actor=principal)
    )

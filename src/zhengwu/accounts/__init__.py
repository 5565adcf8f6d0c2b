"""Organisations (机构), their platform accounts, and matrices (矩阵)."""
